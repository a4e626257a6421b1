// subjectFromHeaders: never a subject with an invalid id, never both kinds, and a repeated
// identity header (Node's array of values) answers 401.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as ex from "../../src/adapters/express.js";
import { isValidId, UnauthenticatedError } from "../../src/index.js";

describe("subjectFromHeaders (property)", () => {
  it("never yields a subject with an invalid id; never both kinds", () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        (userId, serviceId) => {
          const headers: Record<string, string> = {};
          if (userId !== undefined) headers["x-user-id"] = userId;
          if (serviceId !== undefined) headers["x-service-account-id"] = serviceId;
          let subject: unknown;
          let error: unknown;
          try {
            subject = ex.subjectFromHeaders()({ headers } as never);
          } catch (e) {
            error = e;
          }
          if (error) {
            expect(error).toBeInstanceOf(UnauthenticatedError);
            return;
          }
          if (userId === undefined && serviceId === undefined) expect(subject).toBeNull();
          else {
            expect(userId !== undefined && serviceId !== undefined).toBe(false);
            expect(isValidId((subject as { id: string }).id)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("several values of one header are rejected", () => {
    expect(() =>
      ex.subjectFromHeaders()({ headers: { "x-user-id": ["a", "b"] } } as never),
    ).toThrow(UnauthenticatedError);
  });
});
