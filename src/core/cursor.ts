// Sealed page cursors: what `authz.page` hands out as `next` is the position it stopped at,
// encrypted. That position is often a row the subject may not read (the last one it checked),
// and its cursor (an id, a timestamp) must not reach the caller.
import { ConfigurationError, InvalidIdentifierError } from "./errors.js";

/** What a sealed cursor starts with: the format's version. */
const PREFIX = "c1.";
/** Bytes of the nonce (AES-GCM's 96 bits). */
const NONCE_BYTES = 12;
/** Most characters of a sealed cursor accepted (a row's cursor is at most a few KiB). */
const MAX_SEALED = 16 * 1024;
/** Plaintext is padded to a multiple of this many bytes: a cursor's length does not show. */
const PAD = 64;
/** Fewest bytes of a key, or characters of a passphrase. */
export const MIN_CURSOR_KEY = 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * @internal Seals and opens page cursors under one key, bound to a scope (resource type and
 * permission): a cursor is opaque to its reader, cannot be forged or altered, and is refused
 * for another kind or permission. Sealing is deterministic (the nonce is a MAC of the scope and
 * the cursor), so one position always seals to the same text: equal cursors look equal, nothing
 * else shows.
 */
export interface CursorSeal {
  seal(scope: string, cursor: string): Promise<string>;
  /** @throws `InvalidIdentifierError` (400) for anything this seal did not make for `scope` */
  open(scope: string, sealed: string): Promise<string>;
}

/** The bytes of a key given as text (at least {@link MIN_CURSOR_KEY} characters) or bytes. */
function keyBytes(key: string | Uint8Array | undefined): Uint8Array {
  if (key === undefined) return crypto.getRandomValues(new Uint8Array(32));
  const bytes = typeof key === "string" ? encoder.encode(key) : key;
  if (bytes.length < MIN_CURSOR_KEY) {
    throw new ConfigurationError(
      `createAuthorizer: "cursorKey" must have at least ${MIN_CURSOR_KEY} bytes`,
    );
  }
  return bytes;
}

/** base64url without padding, and back (undefined for anything else). */
function toBase64Url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

const INVALID = () => new InvalidIdentifierError("Invalid page cursor.");

/**
 * @internal A {@link CursorSeal} under `key` (random when absent: cursors then open only in
 * this process, for this authorizer). Two keys are derived from it, one to encrypt (AES-GCM),
 * one to make nonces (HMAC-SHA-256), with WebCrypto (Node 20+, edge runtimes).
 *
 * @throws `ConfigurationError` for a key shorter than {@link MIN_CURSOR_KEY} bytes
 */
export function cursorSeal(key?: string | Uint8Array): CursorSeal {
  const master = keyBytes(key);
  let keys: Promise<{ aes: CryptoKey; mac: CryptoKey }> | undefined;
  const derive = async (label: string) =>
    new Uint8Array(
      await crypto.subtle.digest("SHA-256", new Uint8Array([...encoder.encode(label), ...master])),
    );
  const ready = () => {
    keys ??= (async () => ({
      aes: await crypto.subtle.importKey(
        "raw",
        await derive("fgac cursor aes\0"),
        "AES-GCM",
        false,
        ["encrypt", "decrypt"],
      ),
      mac: await crypto.subtle.importKey(
        "raw",
        await derive("fgac cursor nonce\0"),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      ),
    }))();
    return keys;
  };
  return {
    async seal(scope, cursor) {
      const { aes, mac } = await ready();
      const bytes = encoder.encode(cursor);
      if (bytes.length > 0xffff) throw new ConfigurationError("page: a row's cursor is too long");
      // Two bytes of length, the cursor, zeros up to a multiple of PAD.
      const plain = new Uint8Array(Math.ceil((bytes.length + 2) / PAD) * PAD);
      plain[0] = bytes.length >> 8;
      plain[1] = bytes.length & 0xff;
      plain.set(bytes, 2);
      const tag = new Uint8Array(
        await crypto.subtle.sign("HMAC", mac, encoder.encode(`${scope}\0${cursor}`)),
      );
      const iv = tag.slice(0, NONCE_BYTES);
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: "AES-GCM", iv, additionalData: encoder.encode(scope) },
          aes,
          plain,
        ),
      );
      const out = new Uint8Array(NONCE_BYTES + sealed.length);
      out.set(iv);
      out.set(sealed, NONCE_BYTES);
      return PREFIX + toBase64Url(out);
    },
    async open(scope, text) {
      if (typeof text !== "string" || !text.startsWith(PREFIX) || text.length > MAX_SEALED) {
        throw INVALID();
      }
      const bytes = fromBase64Url(text.slice(PREFIX.length));
      if (!bytes || bytes.length <= NONCE_BYTES + 16) throw INVALID();
      const { aes } = await ready();
      let plain: Uint8Array;
      try {
        plain = new Uint8Array(
          await crypto.subtle.decrypt(
            {
              name: "AES-GCM",
              iv: bytes.slice(0, NONCE_BYTES),
              additionalData: encoder.encode(scope),
            },
            aes,
            bytes.slice(NONCE_BYTES),
          ),
        );
      } catch {
        throw INVALID();
      }
      // Authentic, so well formed; checked all the same.
      const length = ((plain[0] ?? 0) << 8) | (plain[1] ?? 0);
      if (length > plain.length - 2) throw INVALID();
      return decoder.decode(plain.subarray(2, 2 + length));
    },
  };
}
