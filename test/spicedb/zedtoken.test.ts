// ZedToken decoding: which of two tokens is the newer, known only for integer revisions of one
// datastore.
import { describe, expect, it } from "vitest";
import { newerOf } from "../../src/spicedb/zedtoken.js";
import { zedToken } from "../support/zedtoken.js";

describe("ZedTokens", () => {
  it("newerOf compares integer revisions of one datastore and nothing else", () => {
    const t = (revision: string, datastore = "ds") => zedToken(revision, datastore);
    expect(newerOf(t("10"), t("9"))).toBe(t("10"));
    expect(newerOf(t("9"), t("10"))).toBe(t("10"));
    expect(newerOf(t("1795841351917156419"), t("1795841351917156420"))).toBe(
      t("1795841351917156420"),
    );
    expect(newerOf(t("10", "a"), t("9", "b"))).toBeUndefined(); // another datastore
    expect(newerOf(t("1.0000000002"), t("1.0000000010"))).toBeUndefined(); // an HLC
    expect(newerOf(t("3.0:9:"), t("4.0:9:"))).toBeUndefined(); // a snapshot
    expect(newerOf("not a token", t("1"))).toBeUndefined();
    expect(newerOf(Buffer.from([0x1a, 0x7f]).toString("base64"), t("1"))).toBeUndefined();
  });
});
