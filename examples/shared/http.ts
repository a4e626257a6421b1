// The HTTP edge the three apps share, so that the same request gets the same answer on each:
// one check of the request line, one query parser, one JSON body reader, one answer format.
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { FgacError, toErrorResponse } from "fgac";

/** Largest request body any app reads (64 KiB): larger ones answer 413 on every framework. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** Methods whose body every app reads (up to the limit), as Fastify does; others are ignored. */
export const BODY_METHODS: ReadonlySet<string> = new Set([
  "DELETE",
  "OPTIONS",
  "PATCH",
  "POST",
  "PUT",
]);

// The same constant messages as the adapters' answers to a framework's own client errors.
const MESSAGES = {
  400: "Bad request.",
  408: "Request timeout.",
  413: "Payload too large.",
  415: "Unsupported media type.",
  431: "Request header fields too large.",
} as const;

/** A client error of the request itself, answered with a constant message. */
export class RequestError extends FgacError {
  override readonly name = "RequestError" as const;
  readonly code = "request_error" as const;
  constructor(readonly status: keyof typeof MESSAGES) {
    super(MESSAGES[status]);
  }
}

/** An answer as bytes: every app sends exactly these. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A JSON answer (the content type every framework would pick, spelt one way). */
export function json(status: number, value: unknown): Answer {
  const body = JSON.stringify(value);
  return {
    status,
    // The length too, so that a HEAD answer carries it on every framework (Fastify's does).
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(body)),
    },
    body,
  };
}

/** The header of a list's answer that holds the cursor of its next page. */
export const NEXT_AFTER_HEADER = "x-next-after";

/**
 * A list's answer: its rows as a JSON array (200, as {@link json}), and, when a next page
 * follows, that page's cursor in `x-next-after`, percent-encoded as a query value (always a
 * valid header value): the client sends it back verbatim as `after=<x-next-after>`. No header
 * on the last page.
 */
export function listAnswer(list: { items: readonly unknown[]; next?: string | undefined }): Answer {
  const answer = json(200, list.items);
  if (list.next !== undefined) answer.headers[NEXT_AFTER_HEADER] = encodeURIComponent(list.next);
  return answer;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*(?:utf-8|"utf-8")\s*)?$/i;

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** Splits a request target (origin or absolute form) into its path and query. */
function split(target: string): { path: string; query: string } {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target)?.[0].length ?? 0;
  const rest = target.slice(authority).split("#")[0] ?? "";
  const q = rest.indexOf("?");
  return q === -1
    ? { path: rest, query: "" }
    : { path: rest.slice(0, q), query: rest.slice(q + 1) };
}

/**
 * Refuses (400) what the frameworks would read differently: a malformed or non-UTF-8
 * percent-encoding anywhere, a percent-encoded letter, digit or `-._~` in the path (Fastify and
 * Hono route on the decoded path, Express on the raw one), a `.` or `..` segment (Hono on Node
 * resolves them, the others do not) and a backslash in the path (Hono on Node refuses it).
 */
function checkTarget(target: string): void {
  const { path, query } = split(target);
  const bad =
    !path.startsWith("/") ||
    path.includes("\\") ||
    !decodes(path) ||
    !decodes(query) ||
    [...path.matchAll(/%([0-9a-f]{2})/gi)].some((m) =>
      UNRESERVED.test(String.fromCharCode(Number.parseInt(m[1] ?? "", 16))),
    ) ||
    path.split("/").some((segment) => segment === "." || segment === "..");
  if (bad) throw new RequestError(400);
}

/**
 * Refuses (400) a Host that is not one (`evil.com/x`), as Hono on Node must (it builds the
 * request's URL from it) and as HTTP asks of every server. An absolute target names the host.
 */
function checkHost(target: string, host: string | undefined): void {
  if (host === undefined || !target.startsWith("/")) return;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    throw new RequestError(400);
  }
  if (hostname.length !== host.length && hostname !== host.replace(/:\d+$/, ""))
    throw new RequestError(400);
}

/**
 * The first check of every request, before routing, identity or body: the request target as
 * the client sent it and its Host, then, for a method with a body, its declared encoding and
 * type (JSON only).
 *
 * @throws RequestError 400 for the target or Host, 415 for a compressed or non-JSON body
 */
export function checkRequest(
  method: string,
  target: string,
  header: (name: string) => string | undefined,
): void {
  checkTarget(target);
  checkHost(target, header("host"));
  if (!BODY_METHODS.has(method)) return;
  const encoding = header("content-encoding");
  if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity")
    throw new RequestError(415);
  const type = header("content-type");
  if (type !== undefined && !JSON_TYPE.test(type.trim())) throw new RequestError(415);
}

/**
 * The query of a request target as one record: a parameter given once is a string, given
 * several times an array (which the routes' validation refuses with 400). One parser for all
 * three frameworks, which otherwise differ (Hono keeps the first of a repeated parameter).
 */
export function queryOf(target: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of new URLSearchParams(split(target).query)) {
    const seen = out[key];
    out[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return out;
}

/**
 * The JSON value of a body read by the framework (up to {@link BODY_LIMIT_BYTES}); `undefined`
 * when there is none, which the routes' validation answers with 400.
 *
 * @throws RequestError 400 for a body that is not UTF-8 JSON
 */
export function jsonBody(raw: unknown): unknown {
  if (!(raw instanceof Uint8Array) || raw.length === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch {
    throw new RequestError(400);
  }
}

/**
 * `@hono/node-server`'s `errorHandler`: a request it refuses before the app runs (a bad Host, a
 * backslash in the path: its `RequestError`) is a 400 in fgac's shape, where it would send an
 * empty one; anything else a generic 500.
 */
export function requestErrorResponse(error: unknown): Response {
  const refused = error instanceof Error && error.name === "RequestError";
  const { status, headers, body } = toErrorResponse(refused ? new RequestError(400) : error);
  return new Response(body, { status, headers });
}

/**
 * Node's `clientError` (a request it cannot parse: a control character in the target, headers
 * too large) answered in the same shape on every framework, where Node would send an empty 400
 * and Fastify its own JSON.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const status =
    error.code === "HPE_HEADER_OVERFLOW"
      ? 431
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? 408
        : 400;
  const { headers, body } = toErrorResponse(new RequestError(status));
  const head = Object.entries({
    ...headers,
    "content-length": String(Buffer.byteLength(body)),
    connection: "close",
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  if (socket.writable)
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}\r\n${body}`);
  socket.destroy();
}
