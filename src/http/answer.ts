// What httpPort believes of an answer: never a redirect, and only a JSON object, labelled
// JSON, without duplicate keys; plus which failures are transient (worth retrying a read).

/** @internal True for any answer that is or went through a redirect: it is never believed. */
export function isRedirect(response: Response): boolean {
  return (
    response.type === "opaqueredirect" ||
    response.redirected ||
    (response.status >= 300 && response.status <= 399)
  );
}

/** @internal `application/json` or `application/<anything>+json`, with or without parameters. */
export function isJsonContentType(value: string | null): boolean {
  const essence = (value ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
  return /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/.test(essence);
}

/**
 * @internal The body as a plain JSON object, or `undefined` when it is anything else: not JSON, an
 * array, `null`, a string, or an object with a key twice at any depth. `JSON.parse` keeps the
 * last of duplicate keys where another reader may keep the first (`{"allowed":false,
 * "allowed":true}`): an answer two readers can read differently is not believed.
 */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  return hasDuplicateKey(text) ? undefined : (value as Record<string, unknown>);
}

const QUOTE = 34; // "
const BACKSLASH = 92;

/**
 * @internal True when an object in `text` (valid JSON) names a key twice. Keys are compared
 * decoded, so `"allow\u0065d"` and `"allowed"` are the same key.
 */
export function hasDuplicateKey(text: string): boolean {
  // One frame per open container: the keys seen so far for an object, null for an array.
  const frames: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = i + 1;
      for (;;) {
        end = text.indexOf('"', end);
        if (end === -1) return true; // not JSON after all: never believed
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
        if (slashes % 2 === 0) break; // not escaped: the string ends here
        end++;
      }
      if (expectKey) {
        const keys = frames[frames.length - 1] as Set<string>;
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return true;
        keys.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === 123 /* { */) {
      frames.push(new Set());
      expectKey = true;
    } else if (c === 91 /* [ */) {
      frames.push(null);
      expectKey = false;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      frames.pop();
      expectKey = false;
    } else if (c === 44 /* , */) {
      expectKey = frames[frames.length - 1] instanceof Set;
    }
  }
  return false;
}

/** @internal An own property of a parsed answer (never one inherited from `Object.prototype`). */
export function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/**
 * @internal True when the answer does not contradict itself: `success`, when present, is exactly `true`.
 * (agentex-style services answer `{"success": true, "metadata": null}`.)
 */
export function isNotFailure(object: Record<string, unknown>): boolean {
  return !Object.hasOwn(object, "success") || object["success"] === true;
}

/** @internal Statuses of a gateway or an overloaded service: the same read may well succeed at once. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CLOSED",
]);

/**
 * @internal True for a failure of the transport: `fetch` rejects with a `TypeError` on a network error
 * (its `cause` carries the code, e.g. `ECONNREFUSED`). Aborts and timeouts are not transient
 * here: the deadline or the caller has already given up.
 */
export function isTransientError(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
  }
  return error instanceof TypeError;
}
