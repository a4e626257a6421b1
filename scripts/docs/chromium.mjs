// Headless Chromium for the docs scripts (diagrams, screenshots): found on the PATH, installed
// from Debian's packages when missing and allowed, started with flags that work offline as root.
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

const NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/** The browser's path: `$CHROMIUM`, else the first of NAMES on the PATH, else undefined. */
export function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of NAMES) {
    const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return undefined;
}

/**
 * The browser, installing Debian's `chromium` when it is missing and this is root on a machine
 * with apt-get. Returns `{ path }`, or `{ reason }` saying why there is none.
 */
export function ensureChromium() {
  const found = findChromium();
  if (found) return { path: found };
  if (process.platform !== "linux" || process.getuid?.() !== 0) {
    return {
      reason:
        "no chromium on the PATH (set CHROMIUM=/path/to/chrome), and not root on Linux to install it",
    };
  }
  if (spawnSync("sh", ["-c", "command -v apt-get"]).status !== 0) {
    return {
      reason: "no chromium on the PATH and no apt-get to install it (set CHROMIUM=/path/to/chrome)",
    };
  }
  console.log("installing Debian's chromium (apt-get install chromium)...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  const install = spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], {
    stdio: "inherit",
    env,
  });
  const path = findChromium();
  if (update.status !== 0 || install.status !== 0 || !path) {
    return { reason: "apt-get install chromium failed (see above)" };
  }
  return { path };
}

/**
 * Runs the browser headless once with `args` (e.g. `--screenshot=...`, `--dump-dom`) on the page
 * `url`, in a fresh profile, and resolves to what it printed on stdout. Asynchronous, so that a
 * server in the same process can answer the browser.
 */
export async function runChromium(path, args, url) {
  const profile = mkdtempSync(join(tmpdir(), "fgac-chromium-"));
  try {
    const { stdout } = await run(
      path,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--allow-file-access-from-files",
        `--user-data-dir=${profile}`,
        ...args,
        url,
      ],
      { encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 2 ** 20 },
    );
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
