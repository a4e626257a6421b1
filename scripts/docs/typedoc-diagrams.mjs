// TypeDoc plugin: shows each ```mermaid block of a page as its SVG rendered from that very source
// (docs/diagrams/, by `npm run docs:diagrams`), so the site needs no script to draw it. A block
// whose SVG is missing or stale is a warning, so `npm run docs` (warnings are errors) fails.
import { Renderer } from "typedoc";
import { renderedByHash, sourceHash } from "./diagrams.mjs";

const BLOCK = /<pre><code class="mermaid">([\s\S]*?)<\/code><button[^>]*>[^<]*<\/button><\/pre>/g;

function unescapeHtml(text) {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

/** @param {import("typedoc").Application} app */
export function load(app) {
  let rendered = new Map();
  app.renderer.on(Renderer.EVENT_BEGIN, () => {
    rendered = renderedByHash(process.cwd());
  });
  app.renderer.on(Renderer.EVENT_END_PAGE, (page) => {
    if (!page.contents?.includes('<code class="mermaid">')) return;
    page.contents = page.contents.replace(BLOCK, (block, code) => {
      const svg = rendered.get(sourceHash(unescapeHtml(code)));
      if (!svg) {
        app.logger.warn(
          `${page.url}: a Mermaid diagram has no SVG rendered from its current source: run npm run docs:diagrams`,
        );
        return block;
      }
      const body = svg.replace(/^<!--.*?-->\n?/, "");
      return `<figure class="fgac-diagram">${body}</figure>`;
    });
  });
}
