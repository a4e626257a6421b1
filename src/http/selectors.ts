// Selectors SpiceDB cannot hold as object ids (agentex's "run-schedule::{agent}::{id}"), stored
// reversibly: a valid id as it is, anything else as "=" followed by its UTF-8 in base64.
import * as z from "zod/mini";
import { isValidId } from "../core/resources.js";
import { TYPE_LEVEL_SELECTOR } from "./wire.js";

/**
 * Marks an encoded id. A selector that starts with it is encoded too, so every id that starts
 * with it is an encoding and no plain selector can be mistaken for one. Every base64 character
 * (`A-Za-z0-9+/=`) is valid in a SpiceDB id.
 */
const MARK = "=";

/** @internal The id a selector is stored under, or `undefined` when even encoded it is too long. */
export function selectorToId(selector: string): string | undefined {
  if (isValidId(selector) && !selector.startsWith(MARK)) return selector;
  let binary = "";
  for (const byte of new TextEncoder().encode(selector)) binary += String.fromCharCode(byte);
  const id = MARK + btoa(binary);
  return isValidId(id) ? id : undefined;
}

/**
 * @internal The selector an id was stored for, or `undefined` for an id no selector encodes to
 * (written to the backend by someone else): such an id is never answered.
 */
export function idToSelector(id: string): string | undefined {
  if (!id.startsWith(MARK)) return id;
  try {
    const binary = atob(id.slice(1));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const selector = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return selectorToId(selector) === id ? selector : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @internal A selector the server encodes: any text but the type-level `*`, without control
 * characters, short enough that its encoding is a valid id.
 */
export const encodableSelector = z.string().check(
  z.minLength(1),
  z.refine(
    (s) => s !== TYPE_LEVEL_SELECTOR && !hasControlCharacter(s) && selectorToId(s) !== undefined,
    "must be a selector of at most about 760 bytes, without control characters",
  ),
);

/** True when `s` holds a C0 control character or DEL. */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
