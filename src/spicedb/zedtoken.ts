// ZedToken decoding: the integer revision and datastore a token carries, read with
// @protobuf-ts/runtime's BinaryReader, and which of two tokens is the newer.
import { BinaryReader, WireType } from "@protobuf-ts/runtime";

/**
 * The newer of two ZedTokens when both carry an integer revision of the same datastore;
 * undefined when that cannot be known (other revision formats are left alone).
 *
 * @internal
 */
export function newerOf(a: string, b: string): string | undefined {
  const ra = integerRevision(a);
  const rb = integerRevision(b);
  if (!ra || !rb || ra.datastore !== rb.datastore) return undefined;
  return ra.revision >= rb.revision ? a : b;
}

/**
 * Reads `DecodedZedToken { v1: { revision, datastore_unique_id_prefix } }`, integer revisions
 * only; undefined for anything else.
 *
 * @internal
 */
export function integerRevision(
  token: string,
): { revision: bigint; datastore: string } | undefined {
  const outer = fields(Buffer.from(token, "base64"));
  const v1 = outer?.get(3);
  const inner = v1 ? fields(v1) : undefined;
  const revision = text(inner?.get(1));
  if (!revision || !/^\d{1,30}$/.test(revision)) return undefined;
  return { revision: BigInt(revision), datastore: text(inner?.get(2)) ?? "" };
}

/**
 * A varint (a tag or a length) of more than this many bytes makes the message unreadable: no
 * field number or length in a token needs more.
 */
const MAX_VARINT_BYTES = 4;

/** Length-delimited fields of a protobuf message (field number -> bytes); undefined otherwise. */
function fields(bytes: Uint8Array): Map<number, Uint8Array> | undefined {
  const reader = new BinaryReader(bytes);
  const out = new Map<number, Uint8Array>();
  try {
    while (reader.pos < reader.len) {
      const tagStart = reader.pos;
      const tag = reader.uint32();
      if (reader.pos - tagStart > MAX_VARINT_BYTES || (tag & 7) !== WireType.LengthDelimited)
        return undefined;
      const lengthStart = reader.pos;
      const value = reader.bytes(); // throws past the end of the message
      if (reader.pos - value.length - lengthStart > MAX_VARINT_BYTES) return undefined;
      out.set(tag >>> 3, value);
    }
  } catch {
    return undefined; // a varint or a length runs past the end
  }
  return out;
}

/** UTF-8 text of a field, decoded as `Buffer` decodes it (invalid bytes become U+FFFD). */
function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}
