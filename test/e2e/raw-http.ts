// A raw HTTP/1.1 client over a socket: sends the request target exactly as given (control
// characters, malformed percent-encodings, backslashes), which fetch and http.request refuse
// or normalise, and reads the answer as bytes on the wire.
import { connect } from "node:net";

/** One answer as received: status, lower-cased headers and the body as text. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A request: the method and target go on the request line unchanged. */
export interface RawRequest {
  method: string;
  target: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf("\r\n", at);
    if (eol === -1) break;
    const size = Number.parseInt(data.subarray(at, eol).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function parse(raw: Buffer): RawAnswer {
  const end = raw.indexOf("\r\n\r\n");
  if (end === -1) throw new Error(`no answer head in ${JSON.stringify(raw.toString("latin1"))}`);
  const [statusLine = "", ...lines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = raw.subarray(end + 4);
  if (headers["transfer-encoding"]?.includes("chunked")) body = dechunk(body);
  else if (headers["content-length"] !== undefined)
    body = body.subarray(0, Number(headers["content-length"]));
  return { status, headers, body: body.toString("utf8") };
}

/**
 * Sends one request on a fresh connection (`connection: close`) and reads the answer to the end.
 * The head goes out as UTF-8 (control characters as their single byte); a body is sent as
 * given, with its `content-length` unless the headers name a `transfer-encoding`.
 */
export function rawRequest(port: number, req: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const headers: Record<string, string> = {
      host: `127.0.0.1:${port}`,
      connection: "close",
      ...(body !== undefined && req.headers?.["transfer-encoding"] === undefined
        ? { "content-length": String(body.length) }
        : {}),
      ...req.headers,
    };
    const head = `${req.method} ${req.target} HTTP/1.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("")}\r\n`;
    socket.setTimeout(20_000, () => socket.destroy(new Error("raw request timed out")));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error) =>
      chunks.length ? resolve(parse(Buffer.concat(chunks))) : reject(error),
    );
    socket.on("end", () => {
      try {
        resolve(parse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(Buffer.from(head, "utf8"));
    if (body !== undefined) socket.write(body);
  });
}
