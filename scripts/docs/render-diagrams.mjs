// npm run docs:diagrams: renders each ```mermaid block of docs/*.md to docs/diagrams/<page>-<n>.svg
// in headless Chromium with Mermaid's own bundle, so the site shows it without a script and
// GitHub (which draws Mermaid itself) shows the source. Only diagrams whose source changed are
// rendered again; SVGs no block uses any more are removed.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureChromium, runChromium } from "./chromium.mjs";
import { DIAGRAMS_DIR, findDiagrams, renderedByHash } from "./diagrams.mjs";

const MERMAID_VERSION = "11.12.3";
const root = process.cwd();

/** Mermaid's browser bundle, from the npm registry (kept in .tmp/, never a dependency). */
function mermaidBundle() {
  const dir = join(root, ".tmp", `mermaid-${MERMAID_VERSION}`);
  const bundle = join(dir, "package", "dist", "mermaid.min.js");
  if (existsSync(bundle)) return bundle;
  mkdirSync(dir, { recursive: true });
  const tarball = execFileSync("npm", ["pack", `mermaid@${MERMAID_VERSION}`, "--silent"], {
    cwd: dir,
    encoding: "utf8",
  }).trim();
  execFileSync("tar", ["xzf", tarball, "package/dist/mermaid.min.js"], { cwd: dir });
  return bundle;
}

function page(bundle, diagrams) {
  const sources = JSON.stringify(diagrams.map((d) => d.source));
  const ids = JSON.stringify(
    diagrams.map((d) => d.file.replace(/^.*\//, "fgac-").replace(/\.svg$/, "")),
  );
  return `<!doctype html><meta charset="utf-8"><body>
<script src="${pathToFileURL(bundle)}"></script>
<script>
mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default",
  fontFamily: "Arial, Helvetica, sans-serif",
  sequence: { useMaxWidth: false, mirrorActors: false, actorMargin: 30, width: 140, boxMargin: 8, diagramMarginX: 8, diagramMarginY: 8 } });
(async () => {
  const sources = ${sources}, ids = ${ids}, out = [];
  for (let i = 0; i < sources.length; i++) out.push((await mermaid.render(ids[i], sources[i])).svg);
  document.body.setAttribute("data-out", btoa(unescape(encodeURIComponent(JSON.stringify(out)))));
})().catch((e) => document.body.setAttribute("data-error", String(e && e.message || e)));
</script>`;
}

const diagrams = findDiagrams(root);
const rendered = renderedByHash(root);
const stale = diagrams.filter((d) => !rendered.has(d.hash) || !existsSync(join(root, d.file)));
mkdirSync(join(root, DIAGRAMS_DIR), { recursive: true });
if (stale.length > 0) {
  const chromium = ensureChromium();
  if (!chromium.path) {
    console.error(`docs:diagrams: cannot render ${stale.length} diagram(s): ${chromium.reason}`);
    process.exit(1);
  }
  const html = join(root, ".tmp", "render-diagrams.html");
  writeFileSync(html, page(mermaidBundle(), stale));
  const dom = await runChromium(
    chromium.path,
    ["--virtual-time-budget=30000", "--dump-dom"],
    pathToFileURL(html).href,
  );
  const error = /data-error="([^"]*)"/.exec(dom)?.[1];
  const out = /data-out="([^"]*)"/.exec(dom)?.[1];
  if (error || !out) {
    console.error(`docs:diagrams: Mermaid failed: ${error ?? "no output"}`);
    process.exit(1);
  }
  const svgs = JSON.parse(Buffer.from(out, "base64").toString("utf8"));
  stale.forEach((d, i) => {
    writeFileSync(join(root, d.file), `<!-- mermaid sha256:${d.hash} -->\n${svgs[i]}\n`);
    console.log(`rendered ${d.file} (${d.page}, diagram ${d.index})`);
  });
}
const used = new Set(diagrams.map((d) => d.file.replace(/^.*\//, "")));
for (const name of readdirSync(join(root, DIAGRAMS_DIR))) {
  if (name.endsWith(".svg") && !used.has(name)) {
    rmSync(join(root, DIAGRAMS_DIR, name));
    console.log(`removed ${DIAGRAMS_DIR}/${name} (no diagram uses it)`);
  }
}
console.log(`docs:diagrams: ${diagrams.length} diagram(s), ${stale.length} rendered`);
