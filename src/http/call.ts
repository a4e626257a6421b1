// One POST to the authorization service (deadline and caller's signal, no redirect followed,
// capped body); what no operation may believe (redirect, 401, dead transport) throws here.
import { AuthorizationUnavailableError, UnauthenticatedError } from "../core/errors.js";
import {
  isJsonContentType,
  isRedirect,
  isTransientError,
  parseJsonObject,
  TRANSIENT_STATUSES,
} from "./answer.js";
import { readCapped } from "./body.js";
import type { WireOp } from "./wire.js";

/**
 * @internal Links `signals` into one that aborts with the first one's reason. `dispose` drops the
 * listeners the fallback (runtimes without `AbortSignal.any`) adds to long-lived signals.
 */
export function anySignal(signals: readonly AbortSignal[]): {
  signal: AbortSignal;
  dispose(): void;
} {
  if (typeof AbortSignal.any === "function") {
    return { signal: AbortSignal.any([...signals]), dispose: () => {} };
  }
  const controller = new AbortController();
  const listeners = signals.map((s) => {
    const onAbort = () => controller.abort(s.reason);
    if (s.aborted) controller.abort(s.reason);
    else s.addEventListener("abort", onAbort, { once: true });
    return () => s.removeEventListener("abort", onAbort);
  });
  return {
    signal: controller.signal,
    dispose: () => {
      for (const remove of listeners) remove();
    },
  };
}

/** @internal What one call answered: its status and, for a 200 labelled JSON, the body as an object. */
export interface Reply {
  status: number;
  /** The body when it is exactly one JSON object (see `parseJsonObject`); else undefined. */
  object: Record<string, unknown> | undefined;
}

/** @internal What {@link createCall} needs, resolved from `httpPort`'s options. */
export interface CallConfig {
  fetch: typeof fetch;
  /** `baseUrl` + `basePath`, without a trailing slash. */
  base: string;
  headers: Record<string, string>;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** @internal An answer no operation may believe: transient for a gateway's 502/503/504. */
export function unexpected(op: WireOp, status: number): AuthorizationUnavailableError {
  return new AuthorizationUnavailableError(undefined, {
    cause: { op, status },
    transient: TRANSIENT_STATUSES.has(status),
  });
}

/** @internal The one way `httpPort` calls the service. */
export function createCall(config: CallConfig) {
  const { fetch: doFetch, base, timeoutMs, maxResponseBytes } = config;

  /** A failure of the call itself: transient only for a network error, never for an abort. */
  function failed(error: unknown, signal: AbortSignal): AuthorizationUnavailableError {
    if (signal.aborted) {
      return new AuthorizationUnavailableError(undefined, { cause: signal.reason });
    }
    return new AuthorizationUnavailableError(undefined, {
      cause: error,
      transient: isTransientError(error),
    });
  }

  /** One call. Throws for what no operation may believe: redirects, 401, transport failures. */
  async function call(op: WireOp, body: unknown, callerSignal?: AbortSignal): Promise<Reply> {
    if (callerSignal?.aborted) {
      throw new AuthorizationUnavailableError(undefined, { cause: callerSignal.reason });
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const { signal, dispose } = callerSignal
      ? anySignal([callerSignal, timeout])
      : { signal: timeout, dispose: () => {} };
    // The deadline covers the body too, whatever `fetch` does with the signal once the headers
    // are in (a custom or mocked fetch may not abort a body that trickles).
    const expired = new Promise<never>((_, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    expired.catch(() => {});
    try {
      let response: Response;
      try {
        response = await Promise.race([
          doFetch(`${base}/${op}`, {
            method: "POST",
            headers: {
              ...config.headers,
              "content-type": "application/json",
              accept: "application/json",
            },
            body: JSON.stringify(body),
            redirect: "manual",
            signal,
          }),
          expired,
        ]);
      } catch (error) {
        throw failed(error, signal);
      }
      const believable =
        !isRedirect(response) &&
        response.status === 200 &&
        isJsonContentType(response.headers.get("content-type"));
      if (!believable) {
        // Only a 200 JSON answer is read; every other body is dropped unread. Not awaited: a
        // teed stream's cancel settles only when its other branch is cancelled too.
        response.body?.cancel().catch(() => {});
        if (isRedirect(response)) throw unexpected(op, response.status);
        if (response.status === 401) throw new UnauthenticatedError();
        return { status: response.status, object: undefined };
      }
      let text: string;
      try {
        text = await Promise.race([readCapped(response, maxResponseBytes), expired]);
      } catch (error) {
        // A body cut off mid-stream, over maxResponseBytes, or past the deadline.
        throw failed(error, signal);
      }
      return { status: 200, object: parseJsonObject(text) };
    } finally {
      dispose();
    }
  }

  return call;
}
