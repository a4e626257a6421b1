// npm run bench: fgac's levers on the embedded SpiceDB, each against a baseline measured in the
// same run (absolute times on a shared machine are noise; ratios within one run are the
// result), printed and written to docs/benchmarks.md between its bench:run markers.
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { batchingBench } from "./batching.js";
import { printed, ROUNDS } from "./lib.js";
import { loadBench } from "./load.js";
import { pageBench } from "./page.js";

const SECTIONS = (process.env["BENCH_SECTIONS"] ?? "load,page,batching").split(",");
const DOC = new URL("../docs/benchmarks.md", import.meta.url);
const START = "<!-- bench:run:start -->";
const END = "<!-- bench:run:end -->";

const started = new Date();
if (SECTIONS.includes("load")) await loadBench();
if (SECTIONS.includes("page")) await pageBench();
if (SECTIONS.includes("batching")) await batchingBench();

/** Replaces what lies between the markers; the rest of the page (other benchmarks) stays. */
function record(): void {
  const doc = readFileSync(DOC, "utf8");
  if (!doc.includes(START) || !doc.includes(END)) {
    console.log(`\n(docs/benchmarks.md has no ${START} markers: results not recorded)`);
    return;
  }
  const env = process.env;
  const knobs = Object.keys(env)
    .filter((k) => k.startsWith("BENCH_"))
    .map((k) => `${k}=${env[k]}`)
    .join(" ");
  const block = [
    START,
    `Recorded ${started.toISOString().slice(0, 10)} by \`${knobs ? `${knobs} ` : ""}npm run bench\`: Node ${process.versions.node}, ${cpus().length} cores, ${ROUNDS} rounds, sections ${SECTIONS.join(", ")}.`,
    "",
    "```",
    ...printed.map((line) => line.trimEnd()),
    "```",
    END,
  ].join("\n");
  const [before, rest] = doc.split(START);
  writeFileSync(DOC, `${before}${block}${rest?.split(END)[1] ?? ""}`);
  console.log("\nrecorded in docs/benchmarks.md");
}
record();
