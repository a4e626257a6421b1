import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { fn, parseOptions, withMethods } from "../../src/core/options.js";
import { ConfigurationError, createAuthorizer, defineResource } from "../../src/index.js";
import { memoryPort } from "../../src/testing/index.js";

const schema = z.object({
  timeoutMs: z.optional(z.int().check(z.positive())),
  retry: z.optional(z.object({ attempts: z.int().check(z.gte(1)) })),
  name: z.string(),
});

/** The ConfigurationError `run` throws (failing the test when it throws nothing). */
function configurationErrorOf(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error("expected a ConfigurationError");
}

describe("parseOptions", () => {
  it("returns the parsed options when they are valid", () => {
    expect(parseOptions("makeThing", schema, { name: "x", timeoutMs: 5 })).toEqual({
      name: "x",
      timeoutMs: 5,
    });
  });

  it("throws one ConfigurationError naming the factory and each bad option path", () => {
    const error = configurationErrorOf(() =>
      parseOptions("makeThing", schema, { timeoutMs: -1, retry: { attempts: 0 }, name: 3 }),
    );
    expect(error.message.startsWith("makeThing: ")).toBe(true);
    const problems = error.message.slice("makeThing: ".length).split("; ");
    expect(problems).toHaveLength(3);
    expect(problems.some((p) => p.startsWith('"timeoutMs" '))).toBe(true);
    expect(problems.some((p) => p.startsWith('"retry.attempts" '))).toBe(true);
    expect(problems.some((p) => p.startsWith('"name" '))).toBe(true);
  });

  it("says what is wrong in English without touching zod's global configuration", () => {
    const error = configurationErrorOf(() =>
      parseOptions("makeThing", schema, { name: "x", timeoutMs: 0 }),
    );
    expect(error.message).toBe('makeThing: "timeoutMs" Too small: expected number to be >0');
    // zod/mini has no locale of its own: the default would be a bare "Invalid input".
    expect(schema.safeParse({ name: "x", timeoutMs: 0 }).error?.issues[0]?.message).toBe(
      "Invalid input",
    );
  });

  it("a problem with the whole value names no path", () => {
    const error = configurationErrorOf(() => parseOptions("makeThing", schema, "not an object"));
    expect(error.message).toMatch(/^makeThing: [^"]/);
    expect(error.message).not.toContain(";");
  });

  it("fn and withMethods accept only functions and objects with every method", () => {
    const options = z.object({
      onEvent: z.optional(fn<() => void>()),
      sink: z.optional(withMethods<{ write(): void }>(["write"], "must have write")),
    });
    expect(() => parseOptions("f", options, { onEvent: () => {} })).not.toThrow();
    expect(() => parseOptions("f", options, { sink: { write() {} } })).not.toThrow();
    expect(configurationErrorOf(() => parseOptions("f", options, { onEvent: 1 })).message).toBe(
      'f: "onEvent" must be a function',
    );
    expect(configurationErrorOf(() => parseOptions("f", options, { sink: {} })).message).toBe(
      'f: "sink" must have write',
    );
    expect(configurationErrorOf(() => parseOptions("f", options, { sink: null })).message).toBe(
      'f: "sink" must have write',
    );
  });
});

describe("the factories' errors", () => {
  it("createAuthorizer names itself and every bad option in one error", () => {
    const error = configurationErrorOf(() =>
      createAuthorizer({ port: memoryPort(), timeoutMs: -1, collapse: "never" as never }),
    );
    expect(error.message.startsWith("createAuthorizer: ")).toBe(true);
    expect(error.message).toContain('"timeoutMs" ');
    expect(error.message).toContain('"collapse" ');
    expect(error.message).not.toContain('"port"');
  });

  it("defineResource names itself, the type, and the bad option", () => {
    const error = configurationErrorOf(() => defineResource("ok_type", { notFoundMessage: "" }));
    expect(error.message.startsWith('defineResource("ok_type"): "notFoundMessage" ')).toBe(true);
    const badType = configurationErrorOf(() => defineResource("Bad Type"));
    expect(badType.message).toBe('defineResource: "type" is not a valid type name');
  });
});
