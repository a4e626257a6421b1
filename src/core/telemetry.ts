// OpenTelemetry without a hard dependency: spans and metrics through the global providers that
// @opentelemetry/api registers, found by its global key, so nothing is loaded when it is absent.

/** The part of an OpenTelemetry span fgac uses. */
interface SpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

/** The part of an OpenTelemetry tracer fgac uses. */
interface TracerLike {
  startSpan(name: string, options?: { kind?: number; attributes?: Attributes }): SpanLike;
}

interface CounterLike {
  add(value: number, attributes?: Attributes): void;
}

interface HistogramLike {
  record(value: number, attributes?: Attributes): void;
}

interface MeterLike {
  createCounter(name: string, options?: { description?: string; unit?: string }): CounterLike;
  createHistogram(name: string, options?: { description?: string; unit?: string }): HistogramLike;
}

/** Span and metric attributes: never the subject. */
export type Attributes = Record<string, string | number | boolean>;

/** The global registry of `@opentelemetry/api` 1.x (`Symbol.for("opentelemetry.js.api.1")`). */
interface OtelGlobal {
  trace?: { getTracer(name: string, version?: string): TracerLike };
  metrics?: { getMeter(name: string, version?: string): MeterLike };
}

const OTEL_GLOBAL = Symbol.for("opentelemetry.js.api.1");
const SCOPE = "fgac";
/** SpanStatusCode.ERROR, SpanKind.CLIENT in @opentelemetry/api. */
const STATUS_ERROR = 2;
const KIND_CLIENT = 2;

/** Span and metric names, as the docs list them. */
export const TELEMETRY_NAMES = Object.freeze({
  /** Span of one backend call: `fgac.check`, `fgac.check_many`, `fgac.lookup`, `fgac.<write>`. */
  spanPrefix: "fgac.",
  /** Counter of decisions, by `fgac.resource.type`, `fgac.permission`, `fgac.decision`. */
  decisions: "fgac.decisions",
  /** Histogram of backend call durations in seconds, by `fgac.operation`, `fgac.outcome`. */
  duration: "fgac.operation.duration",
  /** Histogram of questions per bulk check. */
  batchSize: "fgac.batch.size",
  /** Counter of failed backend calls, by `fgac.operation`, `error.type`. */
  errors: "fgac.backend.errors",
});

/** What the library records; a no-op while no OpenTelemetry provider is registered. */
export interface Telemetry {
  /** Runs `fn` inside a client span named `fgac.<op>`; records its duration and outcome. */
  call<T>(
    op: string,
    attributes: Attributes,
    fn: (span: SpanLike | undefined) => Promise<T>,
  ): Promise<T>;
  /** Counts one decision. */
  decision(attributes: Attributes): void;
  /** Records the size of a bulk check. */
  batch(size: number, attributes: Attributes): void;
}

interface Instruments {
  tracer: TracerLike | undefined;
  decisions: CounterLike | undefined;
  duration: HistogramLike | undefined;
  batchSize: HistogramLike | undefined;
  errors: CounterLike | undefined;
}

/**
 * @internal The library's telemetry, over whatever providers are registered globally when a
 * call is made (a provider registered after the authorizer was created is used too).
 */
export function globalTelemetry(): Telemetry {
  let cached: { trace: unknown; metrics: unknown; instruments: Instruments } | undefined;
  const instruments = (): Instruments => {
    const api = (globalThis as Record<symbol, OtelGlobal | undefined>)[OTEL_GLOBAL];
    if (cached && cached.trace === api?.trace && cached.metrics === api?.metrics) {
      return cached.instruments;
    }
    const meter = api?.metrics?.getMeter(SCOPE);
    const made: Instruments = {
      tracer: api?.trace?.getTracer(SCOPE),
      decisions: meter?.createCounter(TELEMETRY_NAMES.decisions, {
        description: "Authorization decisions, by outcome",
      }),
      duration: meter?.createHistogram(TELEMETRY_NAMES.duration, {
        description: "Duration of authorization backend calls",
        unit: "s",
      }),
      batchSize: meter?.createHistogram(TELEMETRY_NAMES.batchSize, {
        description: "Questions per bulk check",
      }),
      errors: meter?.createCounter(TELEMETRY_NAMES.errors, {
        description: "Failed authorization backend calls",
      }),
    };
    cached = { trace: api?.trace, metrics: api?.metrics, instruments: made };
    return made;
  };
  return {
    async call(op, attributes, fn) {
      const { tracer, duration, errors } = instruments();
      const span = tracer?.startSpan(`${TELEMETRY_NAMES.spanPrefix}${op}`, {
        kind: KIND_CLIENT,
        attributes: { "fgac.operation": op, ...attributes },
      });
      const started = performance.now();
      let outcome = "ok";
      try {
        return await fn(span);
      } catch (error) {
        outcome = errorType(error);
        // A call its caller abandoned (a page giving up on a slow lookup) is no backend error.
        if (outcome !== "abandoned") {
          span?.setAttribute("error.type", outcome);
          span?.setStatus({ code: STATUS_ERROR });
          errors?.add(1, { "fgac.operation": op, "error.type": outcome });
        }
        throw error;
      } finally {
        span?.setAttribute("fgac.outcome", outcome);
        span?.end();
        duration?.record((performance.now() - started) / 1000, {
          "fgac.operation": op,
          "fgac.outcome": outcome,
        });
      }
    },
    decision(attributes) {
      instruments().decisions?.add(1, attributes);
    },
    batch(size, attributes) {
      instruments().batchSize?.record(size, attributes);
    },
  };
}

/** The error's library code, never its message (a backend's message can name the subject). */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "error";
}
