// The `fgac` command: `fgac generate schema.zed --out file.ts [--check]`, as a function of its
// arguments that resolves to the exit code. No library entry imports it (bin.ts runs it).
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { SchemaTextError } from "../spicedb/schema-text.js";
import { generate } from "./generate.js";
import { SchemaError } from "./source.js";

const USAGE = `Usage: fgac generate <schema.zed> --out <file.ts> [options]

Writes a typed module from a SpiceDB schema: one resource kind per definition with relations or
permissions (exported under its name in camelCase), a subject factory per definition with
neither, and the port options the schema implies.

Options:
  --out <file.ts>            where to write the module (required)
  --check                    write nothing; exit 1 when <file.ts> is not what would be written
  --parent <type>=<relation> a kind's relation to its parent (repeatable); or mark the relation
                             with a "// fgac:parent" comment line above it in the schema
  --owner <relation>         the relation register writes for the caller (default "owner")
  --import <module>          where defineResource/defineSubject come from (default "fgac")
  -h, --help                 this text

Directives (comment lines directly above what they mark):
  // fgac:type <name>        above a definition: the kind's library type (mapped in portOptions.types)
  // fgac:not-found <text>   above a definition: its constant 404 message
  // fgac:parent             above a relation: the kind's parent relation
  // fgac:read               above a permission: the kind's read permission
  // fgac:internal           above a permission: a helper, left out of the kind's permissions
`;

/**
 * Runs the command; resolves to the process exit code (0 done, 1 stale file or schema error,
 * 2 usage).
 *
 * @example
 * ```ts
 * process.exitCode = await main(["generate", "schema.zed", "--out", "src/authz.ts", "--check"]);
 * ```
 */
export async function main(argv: readonly string[], io = defaultIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.error(`fgac: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === "help") {
    io.out(USAGE);
    return 0;
  }
  const { schemaPath, out, check, parents, owner, importFrom } = parsed;
  let schema: string;
  try {
    schema = await readFile(schemaPath, "utf8");
  } catch {
    io.error(`fgac: cannot read ${schemaPath}`);
    return 1;
  }
  const command = [
    "npx fgac generate",
    posix(schemaPath),
    "--out",
    posix(out),
    ...Object.entries(parents)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `--parent ${k}=${v}`),
    ...(owner !== undefined ? ["--owner", owner] : []),
    ...(importFrom !== undefined ? ["--import", importFrom] : []),
  ].join(" ");
  let code: string;
  try {
    code = await generate(schema, {
      schemaPath: posix(schemaPath),
      command,
      parents,
      ...(owner !== undefined ? { ownerRelation: owner } : {}),
      ...(importFrom !== undefined ? { importFrom } : {}),
    });
  } catch (error) {
    if (error instanceof SchemaError || error instanceof SchemaTextError) {
      const line = error instanceof SchemaError ? error.line : undefined;
      io.error(`${schemaPath}${line !== undefined ? `:${line}` : ""}: ${error.message}`);
      return 1;
    }
    throw error;
  }
  if (check) {
    const current = await readFile(out, "utf8").catch(() => undefined);
    if (current === code) {
      io.out(`${out} is up to date`);
      return 0;
    }
    io.error(`${out} is stale: run ${command}`);
    return 1;
  }
  await writeFile(out, code);
  io.out(`wrote ${out}`);
  return 0;
}

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      out: { type: "string" },
      check: { type: "boolean" },
      parent: { type: "string", multiple: true },
      owner: { type: "string" },
      import: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help" as const;
  const [command, schemaPath, ...extra] = positionals;
  if (command !== "generate")
    throw new Error(command ? `unknown command ${command}` : "no command");
  if (schemaPath === undefined) throw new Error("generate: name the schema file");
  if (extra.length) throw new Error(`generate: unexpected ${extra.join(" ")}`);
  if (values.out === undefined) throw new Error("generate: --out <file.ts> is required");
  const parents: Record<string, string> = {};
  for (const flag of values.parent ?? []) {
    const m = /^([a-z][a-z0-9_/]*)=([a-z][a-z0-9_]*)$/.exec(flag);
    if (!m) throw new Error(`--parent ${flag}: expected <type>=<relation>`);
    parents[m[1] as string] = m[2] as string;
  }
  return {
    schemaPath,
    out: values.out,
    check: values.check === true,
    parents,
    owner: values.owner,
    importFrom: values.import,
  };
}

function posix(path: string): string {
  return path.replaceAll("\\", "/");
}

const defaultIo = {
  out: (text: string) => console.log(text),
  error: (text: string) => console.error(text),
};
