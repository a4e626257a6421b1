// The README's commands on the embedded defaults, run as a user runs them (a child process).
import { type ChildProcess, execFile, spawn } from "node:child_process";
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
    expect(stdout).toContain("absent and cross-tenant answers byte-identical: true");
  });

  let child: ChildProcess | undefined;
  let serverPid: number | undefined;
  afterAll(() => {
    // npm -> sh -> tsx -> node: stop the server itself (it prints its pid), then the wrappers.
    if (serverPid) process.kill(serverPid, "SIGTERM");
    child?.kill("SIGTERM");
  });

  it("npm run example serves the seeded Express service", async () => {
    child = spawn("npm", ["run", "--silent", "example"], {
      env: { ...process.env, PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const base = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`no banner in: ${out}`)), 45_000);
      child?.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const m = /express example on (http:\/\/127\.0\.0\.1:\d+) \(pid (\d+)\)/.exec(out);
        if (m?.[1]) {
          serverPid = Number(m[2]);
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
  }, 60_000);
});
