// One options parser for every factory: a zod schema checked when the factory is called,
// and one error format (`where: "path" message; ...`) for everything it rejects.
//
// Schemas are built with `zod/mini` (functions, not methods), so an edge bundle carries only
// the checks it uses; its messages come from zod's English locale, passed to each parse here
// rather than set globally (that setting would be the application's, not ours).
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { ConfigurationError } from "./errors.js";

const english = en().localeError;

/**
 * @internal Parses a factory's options with `schema`, at factory time. Anything it rejects
 * throws one {@link ConfigurationError} naming the factory and every offending option:
 * `createAuthorizer: "timeoutMs" must be a positive integer; "port" ...`.
 */
export function parseOptions<S extends z.ZodMiniType>(
  where: string,
  schema: S,
  value: unknown,
): z.output<S> {
  const parsed = z.safeParse(schema, value, { error: english });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    return path === "" ? issue.message : `"${path}" ${issue.message}`;
  });
  throw new ConfigurationError(`${where}: ${problems.join("; ")}`);
}

/** @internal A schema for an option that must be a function (its signature is TypeScript's job). */
export function fn<F>(): z.ZodMiniType<F> {
  return z.custom<F>((value) => typeof value === "function", "must be a function");
}

/** @internal A schema for an object that has every named method. */
export function withMethods<T>(methods: readonly string[], message: string): z.ZodMiniType<T> {
  return z.custom<T>(
    (value) =>
      typeof value === "object" &&
      value !== null &&
      methods.every((m) => typeof (value as Record<string, unknown>)[m] === "function"),
    message,
  );
}
