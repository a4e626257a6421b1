// The README's commands on the embedded defaults, run as a user runs them (a child process).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("README commands", () => {
  it("npm run demo prints the decisions table", async () => {
    const { stdout } = await run("npm", ["run", "--silent", "demo"], { timeout: 60_000 });
    expect(stdout).toMatch(/alice reads her key \(owner\)\s+200 allowed/);
    expect(stdout).toMatch(
      /mallory \(globex\) reads alice's key \(acme\)\s+404 \{"message":"Agent api_key not found\."/,
    );
    expect(stdout).toMatch(/bob deletes his own key \(no update on the agent\)\s+403/);
    expect(stdout).toMatch(/bob lists api keys\s+\[key-bob\]/);
    expect(stdout).toMatch(/bob lists support-bot's keys\s+\[key-bob\]/);
    expect(stdout).toMatch(/alice may delete \(one bulk call\)\s+\[key-alice\]/);
    expect(stdout).toContain("absent and cross-tenant answers byte-identical: true");
  });

  it("the README's quick start type-checks and runs as written", async () => {
    const root = fileURLToPath(new URL("../../", import.meta.url));
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const block = /## Quick start\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toContain('from "fgac"');
    const dir = mkdtempSync(join(tmpdir(), "fgac-quickstart-"));
    try {
      const file = join(dir, "quickstart.mts");
      writeFileSync(file, block ?? "");
      // The repo's own compiler settings, with "fgac" mapped to the sources.
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          extends: join(root, "tsconfig.test.json"),
          compilerOptions: {
            noEmit: true,
            baseUrl: root,
            rootDir: "/",
            typeRoots: [join(root, "node_modules/@types")],
          },
          include: [],
          files: [file],
        }),
      );
      const bin = (name: string) => join(root, "node_modules/.bin", name);
      await run(bin("tsc"), ["-p", join(dir, "tsconfig.json")], { timeout: 60_000 });
      const { stdout } = await run(
        bin("tsx"),
        ["--tsconfig", join(root, "tsconfig.test.json"), file],
        { timeout: 60_000 },
      );
      expect(stdout).toContain("[ { id: 'k1' } ]");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  const started: Array<{ child: ChildProcess; pid?: number }> = [];
  afterAll(() => {
    // npm -> sh -> tsx -> node: stop the server itself (it prints its pid), then the wrappers.
    for (const { child, pid } of started) {
      if (pid) process.kill(pid, "SIGTERM");
      child.kill("SIGTERM");
    }
  });

  it.each([
    ["express", []],
    ["fastify", ["--", "fastify"]],
    ["hono", ["--", "hono"]],
  ])(
    "npm run example %s serves the seeded service",
    async (framework, args) => {
      const child = spawn("npm", ["run", "--silent", "example", ...args], {
        env: { ...process.env, PORT: "0" },
        stdio: ["ignore", "pipe", "inherit"],
      });
      const entry: { child: ChildProcess; pid?: number } = { child };
      started.push(entry);
      const banner = new RegExp(
        `${framework} example on (http://127\\.0\\.0\\.1:\\d+) \\(pid (\\d+)\\)`,
      );
      const base = await new Promise<string>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`no banner in: ${out}`)), 45_000);
        child.stdout?.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const m = banner.exec(out);
          if (m?.[1]) {
            entry.pid = Number(m[2]);
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
      });
      const mine = await fetch(`${base}/agent_api_keys`, { headers: { "x-user-id": "alice" } });
      expect((await mine.json()).map((k: { id: string }) => k.id)).toEqual(["key-alice"]);
      const hidden = await fetch(`${base}/agent_api_keys/key-alice`, {
        headers: { "x-user-id": "mallory" },
      });
      expect(hidden.status).toBe(404);
      expect(await hidden.text()).toBe(
        '{"message":"Agent api_key not found.","code":404,"data":null}',
      );
    },
    60_000,
  );
});
