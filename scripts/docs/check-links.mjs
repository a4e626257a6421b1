// The docs' link check (part of `npm run docs`, so of `npm test`). In the Markdown sources
// (README, docs/, examples/ and bench/ READMEs): every relative link resolves to a file and its
// #anchor to a heading (GitHub's slugs); a site page links to files only as site pages or as
// repository URLs, never as files TypeDoc would copy raw; every guide is a page of the site.
// With --site DIR, in the built site too: every local href and src resolves, anchors included.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, normalize, relative, resolve } from "node:path";

const root = process.cwd();
const REPO_URL = /^https:\/\/github\.com\/fgac-dev\/fgac\/(?:blob|tree)\/main\/([^#?]*)/;
const IMAGE = new Set([".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp"]);
const problems = [];

/** Markdown files under `dir` named by `test`, skipping dependencies and build output. */
function walk(dir, test, out = []) {
  for (const name of readdirSync(dir)) {
    if (["node_modules", "dist", "docs-site", "docs-shots", ".git", ".tmp"].includes(name))
      continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, test, out);
    else if (test(name)) out.push(path);
  }
  return out;
}

function frontmatter(text) {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
  return m ? m[1] : "";
}

/** The Markdown files that are pages of the site: the readme, projectDocuments and their children. */
function sitePages() {
  const config = JSON.parse(readFileSync(join(root, "typedoc.json"), "utf8"));
  const pages = new Set([resolve(root, config.readme ?? "README.md")]);
  const queue = [];
  for (const pattern of config.projectDocuments ?? []) {
    if (!pattern.includes("*")) queue.push(resolve(root, pattern));
    else {
      const dir = resolve(root, dirname(pattern));
      const re = new RegExp(
        `^${pattern.split("/").pop().replace(/\./g, "\\.").replace(/\*/g, ".*")}$`,
      );
      for (const name of readdirSync(dir)) if (re.test(name)) queue.push(join(dir, name));
    }
  }
  while (queue.length > 0) {
    const page = queue.shift();
    if (pages.has(page)) continue;
    pages.add(page);
    if (!existsSync(page)) continue;
    const children = /^children:\n((?:\s+- .*\n?)+)/m.exec(frontmatter(readFileSync(page, "utf8")));
    for (const line of children?.[1].split("\n") ?? []) {
      const child = /-\s+(.+)/.exec(line)?.[1]?.trim();
      if (child) queue.push(resolve(dirname(page), child));
    }
  }
  return pages;
}

/** The text without fenced code blocks and inline code (their brackets are not links). */
function withoutCode(text) {
  return text
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1\s*$/gm, (block) => block.replace(/[^\n]/g, " "))
    .replace(/`[^`\n]*`/g, (code) => " ".repeat(code.length));
}

/** GitHub's heading anchors for a Markdown text (duplicates numbered), plus explicit ids. */
function anchorsOf(text) {
  const anchors = new Set();
  const seen = new Map();
  for (const m of withoutCode(text.replace(/`([^`\n]*)`/g, "$1")).matchAll(
    /^#{1,6}\s+(.+?)\s*#*$/gm,
  )) {
    const plain = m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/<[^>]+>/g, "");
    const base = plain
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/\b(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  return anchors;
}

function linksOf(text) {
  const code = withoutCode(text);
  const links = [];
  const line = (index) => code.slice(0, index).split("\n").length;
  for (const m of code.matchAll(/(!?)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    links.push({ target: m[2], image: m[1] === "!", line: line(m.index) });
  }
  for (const m of code.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) {
    links.push({ target: m[1], image: false, line: line(m.index) });
  }
  for (const m of code.matchAll(/\b(href|src)="([^"]+)"/g)) {
    links.push({ target: m[2], image: m[1] === "src", line: line(m.index) });
  }
  return links;
}

function checkSources() {
  const pages = sitePages();
  const files = [
    join(root, "README.md"),
    ...walk(join(root, "docs"), (n) => n.endsWith(".md")),
    ...walk(join(root, "examples"), (n) => n === "README.md"),
    ...walk(join(root, "bench"), (n) => n === "README.md"),
  ].filter(existsSync);
  const anchors = new Map();
  const anchorsIn = (file) => {
    if (!anchors.has(file)) anchors.set(file, anchorsOf(readFileSync(file, "utf8")));
    return anchors.get(file);
  };
  for (const file of files) {
    const where = relative(root, file);
    if (where.startsWith("docs/") && !pages.has(file)) {
      problems.push(`${where}: not a page of the site: add it to projectDocuments in typedoc.json`);
    }
    for (const { target, image, line } of linksOf(readFileSync(file, "utf8"))) {
      const at = `${where}:${line}: ${target}`;
      const repo = REPO_URL.exec(target);
      if (repo) {
        if (!existsSync(join(root, decodeURIComponent(repo[1])))) {
          problems.push(`${at}: no such file in the repository`);
        }
        continue;
      }
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // another site, mailto:
      const [path, anchor] = target.split("#", 2);
      const dest = path ? normalize(resolve(dirname(file), decodeURIComponent(path))) : file;
      if (!existsSync(dest)) {
        problems.push(`${at}: no such file`);
        continue;
      }
      if (anchor && dest.endsWith(".md") && !anchorsIn(dest).has(anchor)) {
        problems.push(`${at}: no heading with this anchor in ${relative(root, dest)}`);
      }
      const rawCopy = !pages.has(dest) && !(image && IMAGE.has(extname(dest)));
      if (pages.has(file) && path && rawCopy) {
        const url = `https://github.com/fgac-dev/fgac/blob/main/${relative(root, dest)}`;
        problems.push(
          `${at}: the site would serve a raw copy of this file; link the page of the site, or ${url}`,
        );
      }
    }
  }
  return files.length;
}

function checkSite(site) {
  const dir = resolve(root, site);
  if (!existsSync(join(dir, "index.html"))) {
    problems.push(`${site}: no index.html (run typedoc first)`);
    return 0;
  }
  const media = join(dir, "media");
  for (const name of existsSync(media) ? readdirSync(media) : []) {
    if (!IMAGE.has(extname(name)))
      problems.push(`${site}/media/${name}: a raw copy of a linked file`);
  }
  const pages = walk(dir, (n) => n.endsWith(".html"));
  const ids = new Map();
  const idsIn = (file) => {
    if (!ids.has(file)) {
      const html = readFileSync(file, "utf8");
      ids.set(file, new Set([...html.matchAll(/\b(?:id|name)="([^"]+)"/g)].map((m) => m[1])));
    }
    return ids.get(file);
  };
  for (const page of pages) {
    const html = readFileSync(page, "utf8");
    for (const m of html.matchAll(/\b(?:href|src)="([^"]*)"/g)) {
      const target = m[1].replace(/&amp;/g, "&");
      if (!target || /^([a-z][a-z0-9+.-]*:|\/\/)/i.test(target)) continue;
      const [path, anchor] = target.split("#", 2);
      const dest = path ? resolve(dirname(page), decodeURIComponent(path.split("?")[0])) : page;
      const at = `${relative(root, page)}: ${target}`;
      if (!existsSync(dest)) problems.push(`${at}: no such file`);
      else if (anchor && dest.endsWith(".html") && !idsIn(dest).has(decodeURIComponent(anchor))) {
        problems.push(`${at}: no element with this id`);
      }
    }
  }
  return pages.length;
}

const siteFlag = process.argv.indexOf("--site");
const sources = checkSources();
const site = siteFlag === -1 ? 0 : checkSite(process.argv[siteFlag + 1] ?? "docs-site");
if (problems.length > 0) {
  console.error(
    `docs links: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join("\n")}`,
  );
  process.exit(1);
}
console.log(
  `docs links: ${sources} Markdown files${site ? ` and ${site} site pages` : ""}, every link resolves`,
);
