// Generated requests for the example services: methods, paths near the real routes (any case,
// trailing and doubled slashes, percent-encodings valid and not, control characters, very long
// segments) and queries with repeated parameters. Each records the free text it carries, which
// no answer may echo.
import fc from "fast-check";

/** Words of the routes and the seeded data: answers may legitimately contain them. */
export const VOCABULARY = [
  "agent_api_keys",
  "agents",
  "name",
  "key-alice",
  "key-bob",
  "key-mallory",
  "support-bot",
  "billing-bot",
  "alice-ci",
  "bob-laptop",
  "mallory-prod",
] as const;

/** A generated request, and the free text (not from the vocabulary) it carries. */
export interface GeneratedRequest {
  method: string;
  target: string;
  user: string | undefined;
  free: string[];
}

type Part = { text: string; free?: string };

const CHARS = [
  ..."abcXYZ019-._~!$&'()*+,;=:@",
  ...'%<>"`{}|^\\ ',
  "\u0000",
  "\u0001",
  "\u001f",
  "\u007f",
  "é",
  "€",
  "\u2028",
];

const hex = fc.constantFrom(..."0123456789abcdefABCDEFgG");
const percent = fc.oneof(
  fc.constantFrom("%00", "%2F", "%2e", "%2E%2E", "%5F", "%25", "%E0%A4%A", "%FF", "%C3%A9", "%"),
  fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`),
);
const freeText = fc.string({ unit: fc.constantFrom(...CHARS), minLength: 1, maxLength: 12 });

const cleanText = fc.string({
  unit: fc.constantFrom(..."abcdefxyz0129-_"),
  minLength: 1,
  maxLength: 20,
});
const hostileText = fc
  .array(fc.oneof(freeText, percent), { minLength: 1, maxLength: 4 })
  .map((a) => a.join(""));

const word: fc.Arbitrary<Part> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...VOCABULARY).map((text) => ({ text })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...VOCABULARY)
      .chain((w) => fc.mixedCase(fc.constant(w)))
      .map((text) => ({ text })),
  },
  { weight: 3, arbitrary: cleanText.map((text) => ({ text, free: text })) },
  { weight: 2, arbitrary: hostileText.map((text) => ({ text, free: text })) },
  { weight: 1, arbitrary: fc.constantFrom("", ".", "..").map((text) => ({ text })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => ({ text: "x".repeat(n) })),
  },
);

const ROUTES: string[][] = [
  ["agent_api_keys"],
  ["agent_api_keys", "*"],
  ["agent_api_keys", "name", "*"],
  ["agents"],
  ["agents", "*"],
];

/** Paths: a route shape (its first word now and then in capitals), or free segments. */
const path: fc.Arbitrary<Part[]> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...ROUTES),
        fc.array(word, { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 0, max: 5 }),
      )
      .map(([route, words, mangle]) =>
        route.map((segment, i) =>
          segment === "*"
            ? words[i]!
            : { text: mangle === 0 && i === 0 ? segment.toUpperCase() : segment },
        ),
      ),
  },
  { weight: 1, arbitrary: fc.array(word, { minLength: 0, maxLength: 4 }) },
);

const queryValue: fc.Arbitrary<Part> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .constantFrom(...VOCABULARY, "1", "2", "50", "0", "-1", "1e1", "")
      .map((text) => ({ text })),
  },
  { weight: 2, arbitrary: cleanText.map((text) => ({ text, free: text })) },
  {
    weight: 1,
    arbitrary: freeText.map((text) => ({ text: encodeURIComponent(text), free: text })),
  },
  { weight: 1, arbitrary: hostileText.map((text) => ({ text, free: text })) },
);
const query: fc.Arbitrary<Part[]> = fc
  .array(fc.tuple(fc.constantFrom("agent_id", "limit", "page_number", "after", "x"), queryValue), {
    maxLength: 4,
  })
  .chain((pairs) =>
    // Repeat one parameter now and then (?agent_id=a&agent_id=b).
    fc.boolean().map((repeat) => (repeat && pairs.length > 0 ? [...pairs, pairs[0]!] : pairs)),
  )
  .map((pairs) =>
    pairs.flatMap(([key, value], i) => [{ text: `${i === 0 ? "" : "&"}${key}=` }, value]),
  );

export const generatedRequest: fc.Arbitrary<GeneratedRequest> = fc
  .record({
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant("GET") },
      { weight: 2, arbitrary: fc.constant("DELETE") },
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          "HEAD",
          "POST",
          "PUT",
          "PATCH",
          "OPTIONS",
          "TRACE",
          "get",
          "PROPFIND",
        ),
      },
    ),
    path,
    trailingSlash: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    query: fc.option(query, { nil: undefined }),
    // Callers who cannot change anything (bob may not delete his key): every service sees the same data.
    user: fc.constantFrom(undefined, "bob", "bob", "bob", "carol", "a b"),
  })
  .map(({ method, path, trailingSlash, query, user }) => {
    const parts = [...path, ...(query ?? [])];
    const target =
      `/${path.map((p) => p.text).join("/")}${trailingSlash && path.length > 0 ? "/" : ""}` +
      (query ? `?${query.map((p) => p.text).join("")}` : "");
    const free = parts.flatMap((p) => (p.free === undefined ? [] : [p.free]));
    return { method, target, user, free };
  });
