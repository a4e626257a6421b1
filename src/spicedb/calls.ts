// One SpiceDB call under the caller's AbortSignal: none once it has aborted, and a call in
// flight stopped when it aborts (cancelled on the wire wherever the client lets us).
import type { v1 } from "@authzed/authzed-node";
import { AuthorizationUnavailableError } from "../core/errors.js";
import { callSpiceDB } from "./errors.js";
import type { SpiceDBClient } from "./options.js";

/** The unary methods the port calls. */
type UnaryMethod =
  | "checkPermission"
  | "checkBulkPermissions"
  | "writeRelationships"
  | "deleteRelationships";
type RequestOf<M extends UnaryMethod> = Parameters<SpiceDBClient["promises"][M]>[0];
type ResponseOf<M extends UnaryMethod> = Awaited<ReturnType<SpiceDBClient["promises"][M]>>;

/** A server stream as grpc-js gives it (the embedded library's streams are grpc-js streams). */
interface ServerStream<T> {
  on(event: "data", listener: (item: T) => void): unknown;
  on(event: "error", listener: (error: unknown) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  cancel?(): void;
}

/** grpc-js's callback-style unary method: the returned call can be cancelled. */
type CallbackUnary = (
  request: unknown,
  callback: (error: unknown, value?: unknown) => void,
) => { cancel?(): void };

/** A client whose callback-style methods are grpc-js's own (`NewClient`). */
type WireClient = Pick<v1.ZedClientInterface, UnaryMethod | "readRelationships">;

/**
 * What an abort becomes: unavailable (the caller's deadline passed, or it left), and not
 * transient: retrying is for the caller to decide, and its time is up.
 *
 * @internal
 */
export function abortedError(signal: AbortSignal): AuthorizationUnavailableError {
  return new AuthorizationUnavailableError(undefined, { cause: signal.reason });
}

/**
 * Runs `start` unless `signal` has aborted; rejects as soon as it aborts, after calling the
 * `cancel` that `start` registered. Errors are mapped as {@link callSpiceDB} maps them.
 */
function underSignal<T>(
  signal: AbortSignal | undefined,
  start: (
    resolve: (value: T) => void,
    reject: (error: unknown) => void,
    onCancel: (cancel: () => void) => void,
  ) => void,
): Promise<T> {
  return callSpiceDB(
    () =>
      new Promise<T>((resolve, reject) => {
        if (signal?.aborted) {
          reject(abortedError(signal));
          return;
        }
        let cancel = () => {};
        const onAbort = () => {
          cancel();
          reject(abortedError(signal as AbortSignal));
        };
        const done = () => signal?.removeEventListener("abort", onAbort);
        signal?.addEventListener("abort", onAbort, { once: true });
        try {
          start(
            (value) => {
              done();
              resolve(value);
            },
            (error) => {
              done();
              reject(error);
            },
            (c) => {
              cancel = c;
            },
          );
        } catch (error) {
          done();
          reject(error);
        }
      }),
  );
}

/**
 * The calls of one port. With a client the port created itself (`{ endpoint }`), unary calls
 * and reads go through grpc-js's callback client and are cancelled on the wire when the signal
 * aborts. A client passed in is called through its promise methods, which take no signal: a
 * call in flight is abandoned (the port rejects at once and makes no further call) but runs on
 * at the server until its deadline; the embedded SpiceDB's unary calls are synchronous anyway.
 * `LookupResources` is a stream on every client, and is always cancelled.
 *
 * @internal
 */
export class SpiceDBCalls {
  /**
   * @param client - the client's promise methods and streaming lookup
   * @param wire - the same client's grpc-js callback methods, when they are known to be its own
   */
  constructor(
    private readonly client: SpiceDBClient,
    private readonly wire?: WireClient,
  ) {}

  /** One unary call; never made once `signal` has aborted, cancelled when it aborts. */
  unary<M extends UnaryMethod>(
    method: M,
    request: RequestOf<M>,
    signal: AbortSignal | undefined,
  ): Promise<ResponseOf<M>> {
    const wire = this.wire;
    return underSignal<ResponseOf<M>>(signal, (resolve, reject, onCancel) => {
      if (wire) {
        const call = (wire[method] as unknown as CallbackUnary).call(
          wire,
          request,
          (error, value) => (error ? reject(error) : resolve(value as ResponseOf<M>)),
        );
        onCancel(() => call?.cancel?.());
        return;
      }
      const promises = this.client.promises as unknown as Record<
        M,
        (r: RequestOf<M>) => Promise<ResponseOf<M>>
      >;
      promises[method](request).then(resolve, reject);
    });
  }

  /** `ReadRelationships`, every row of its answer (the request should carry a limit). */
  readRelationships(
    request: v1.ReadRelationshipsRequest,
    signal: AbortSignal | undefined,
  ): Promise<v1.ReadRelationshipsResponse[]> {
    const wire = this.wire;
    if (wire) {
      const rows: v1.ReadRelationshipsResponse[] = [];
      return this.stream<v1.ReadRelationshipsResponse>(
        () => wire.readRelationships(request),
        (row) => {
          rows.push(row);
        },
        signal,
      ).then(() => rows);
    }
    return underSignal(signal, (resolve, reject) => {
      this.client.promises.readRelationships(request).then(resolve, reject);
    });
  }

  /**
   * `LookupResources`, each answer handed to `take`. The stream is cancelled when `signal`
   * aborts or `take` throws (what it threw is the rejection): nothing reads on for nobody.
   */
  lookupResources(
    request: v1.LookupResourcesRequest,
    deadline: number,
    take: (answer: v1.LookupResourcesResponse) => void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return this.stream(() => this.client.lookupResources(request, { deadline }), take, signal);
  }

  private stream<T>(
    open: () => ServerStream<T>,
    take: (item: T) => void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return underSignal<void>(signal, (resolve, reject, onCancel) => {
      let settled = false;
      const stream = open();
      const cancel = () => {
        settled = true;
        stream.cancel?.();
      };
      onCancel(cancel);
      stream.on("data", (item) => {
        if (settled) return;
        try {
          take(item);
        } catch (error) {
          cancel();
          reject(error);
        }
      });
      // After a cancel, grpc-js reports CANCELLED here: the rejection has already happened.
      stream.on("error", (error) => {
        if (settled) return;
        settled = true;
        reject(error);
      });
      stream.on("end", () => {
        if (settled) return;
        settled = true;
        resolve();
      });
    });
  }
}
