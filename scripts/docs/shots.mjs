// npm run docs:shots: builds the site, renders its main pages in headless Chromium (Debian's
// `chromium`, installed when missing and allowed) and saves screenshots in docs-shots/, so a
// reviewer can see the site without serving it. Where no browser can run, it says why and
// exits 0: it is not part of `npm test`. `--no-build` uses docs-site/ as it is.
import { execFileSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { ensureChromium, runChromium } from "./chromium.mjs";

const root = process.cwd();
const site = join(root, "docs-site");
const out = join(root, "docs-shots");
const DESKTOP = "1280,1800";
const DARK = ["--force-dark-mode", "--blink-settings=preferredColorScheme=0"];

/** [file name, page, window size, extra Chromium flags] */
const SHOTS = [
  ["index", "index.html", DESKTOP],
  ["getting-started", "documents/Getting_started.html", DESKTOP],
  ["express", "documents/Express.html", DESKTOP],
  ["listing", "documents/Listing_and_pagination.html", DESKTOP],
  ["request-lifecycle", "documents/Security_properties.A_guarded_request.html", DESKTOP],
  ["request-lifecycle-dark", "documents/Security_properties.A_guarded_request.html", DESKTOP, DARK],
  ["reference-fgac", "modules/fgac.html", DESKTOP],
  ["reference-createAuthorizer", "functions/fgac.createAuthorizer.html", DESKTOP],
  ["reference-express", "modules/fgac_express.html", DESKTOP],
  ["index-mobile", "index.html", "390,844", ["--force-device-scale-factor=2"]],
];

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

if (!process.argv.includes("--no-build")) {
  execFileSync(join(root, "node_modules/.bin/typedoc"), { stdio: "inherit" });
}
if (!existsSync(join(site, "index.html"))) {
  console.error("docs:shots: no docs-site/index.html: run npm run docs first");
  process.exit(1);
}
const chromium = ensureChromium();
if (!chromium.path) {
  console.log(`docs:shots: skipped: ${chromium.reason}`);
  process.exit(0);
}

// The site over HTTP on loopback, as a browser sees it when served.
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
  const file = join(site, path.endsWith("/") ? `${path}index.html` : path);
  if (!file.startsWith(site) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
  createReadStream(file).pipe(res);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
const base = `http://127.0.0.1:${server.address().port}/`;

mkdirSync(out, { recursive: true });
try {
  for (const [name, page, size, flags = []] of SHOTS) {
    const file = join(out, `${name}.png`);
    const args = [`--window-size=${size}`, "--virtual-time-budget=5000", `--screenshot=${file}`];
    await runChromium(chromium.path, [...args, ...flags], base + page);
    console.log(`docs-shots/${name}.png  ${page}`);
  }
} catch (error) {
  console.log(`docs:shots: skipped: chromium could not run here (${error.message.split("\n")[0]})`);
} finally {
  server.close();
}
