// The Mermaid diagrams of docs/*.md: where they are, the hash that ties a rendered SVG to its
// source, and where the SVGs live. Shared by render-diagrams.mjs and the TypeDoc plugin.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const DIAGRAMS_DIR = "docs/diagrams";

/** The hash of a diagram's source, as written in its SVG's first line. */
export function sourceHash(source) {
  return createHash("sha256").update(source.trim()).digest("hex").slice(0, 16);
}

/** Every ```mermaid block of docs/*.md: `{ page, index, source, hash, file }`. */
export function findDiagrams(root) {
  const diagrams = [];
  for (const name of readdirSync(join(root, "docs")).sort()) {
    if (!name.endsWith(".md")) continue;
    const text = readFileSync(join(root, "docs", name), "utf8");
    let index = 0;
    for (const m of text.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)) {
      index += 1;
      const source = m[1].trim();
      const base = `${name.replace(/\.md$/, "")}-${index}.svg`;
      diagrams.push({
        page: `docs/${name}`,
        index,
        source,
        hash: sourceHash(source),
        file: join(DIAGRAMS_DIR, base),
      });
    }
  }
  return diagrams;
}

/** The rendered SVGs by the hash of their source (first line `<!-- mermaid sha256:... -->`). */
export function renderedByHash(root) {
  const byHash = new Map();
  const dir = join(root, DIAGRAMS_DIR);
  if (!existsSync(dir)) return byHash;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(".svg")) continue;
    const svg = readFileSync(join(dir, name), "utf8");
    const hash = /^<!-- mermaid sha256:([0-9a-f]+) -->/.exec(svg)?.[1];
    if (hash) byHash.set(hash, svg);
  }
  return byHash;
}
