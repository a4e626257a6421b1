// Reading a request or response body with a byte cap, so a huge or endless body is refused
// without being read to the end.
/** A body over the reader's limit (declared by content-length, or counted while reading). */
export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
}

/**
 * The body of a request or response as text, read no further than `limit` bytes: a larger
 * declared `content-length`, or more bytes than that arriving, throws {@link BodyTooLargeError}
 * and cancels the rest. Portable (no `Buffer`): the handler also runs on Workers, Deno and Bun.
 */
export async function readCapped(message: Request | Response, limit: number): Promise<string> {
  const declared = Number(message.headers.get("content-length") ?? "0");
  if (declared > limit) {
    // Not awaited, here and below: a teed stream's cancel settles only once its other branch
    // is cancelled too, which would hold the refusal until some deadline.
    message.body?.cancel().catch(() => {});
    throw new BodyTooLargeError();
  }
  if (!message.body) return "";
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw new BodyTooLargeError();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
