// The generated module's text: already in the repository's format (Biome's, 100 columns), so
// that it is the same bytes whichever machine writes it and a formatter leaves it alone.
import type { KindModel, SchemaModel, SubjectModel } from "./model.js";

/** What the header says about how the module was made. */
export interface EmitOptions {
  /** The schema file, as named on the command line. */
  schemaPath: string;
  /** The command that regenerates the module (without `--check`). */
  command: string;
  /** Where `defineResource` and `defineSubject` come from (default `"fgac"`). */
  importFrom?: string;
}

const WIDTH = 100;

/** The names the generated module declares or imports itself. */
export const MODULE_NAMES = [
  "defineResource",
  "defineSubject",
  "portOptions",
  "resourceKinds",
  "subjectKinds",
] as const;

const str = (s: string) => JSON.stringify(s);
const key = (s: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s) ? s : str(s));

/** `[a, b] suffix` on one line when it fits at `indent`, else one item per line. */
function list(items: readonly string[], indent: string, prefix: string, suffix: string): string {
  const flat = `${indent}${prefix}[${items.join(", ")}]${suffix}`;
  if (flat.length <= WIDTH) return flat;
  const inner = items.map((i) => `${indent}  ${i},`).join("\n");
  return `${indent}${prefix}[\n${inner}\n${indent}]${suffix}`;
}

/** `key: { a: "x", b: "y" },` on one line when it fits, else one entry per line. */
function record(name: string, entries: ReadonlyArray<[string, string]>, indent: string): string {
  const parts = entries.map(([k, v]) => `${key(k)}: ${str(v)}`);
  const flat = `${indent}${name}: { ${parts.join(", ")} },`;
  if (flat.length <= WIDTH) return flat;
  return `${indent}${name}: {\n${parts.map((p) => `${indent}  ${p},`).join("\n")}\n${indent}},`;
}

function docComment(lines: readonly string[]): string {
  if (lines.length === 1 && `/** ${lines[0]} */`.length <= WIDTH) return `/** ${lines[0]} */`;
  const body = lines.flatMap((l) => (l ? wrap(l, " * ") : [" *"]));
  return ["/**", ...body, " */"].join("\n");
}

function describe(definition: string, type: string, doc: string | undefined): string[] {
  const what = type === definition ? `\`${definition}\`` : `\`${type}\` (schema \`${definition}\`)`;
  return doc ? reflow(`${what}: ${doc}`) : [what];
}

/**
 * A doc comment's lines as paragraphs (wrapped by docComment): prose lines join, while blank
 * lines, list items, headings, tables and indented code keep their own lines.
 */
function reflow(text: string): string[] {
  const out: string[] = [];
  let prose = false;
  for (const line of text.split("\n")) {
    const keep = line.trim() === "" || /^(\s{2,}|[-*+#|>]|\d+[.)] )/.test(line);
    if (!keep && prose) out[out.length - 1] += ` ${line.trim()}`;
    else out.push(keep ? line.trimEnd() : line.trim());
    prose = !keep;
  }
  return out;
}

function emitSubject(s: SubjectModel): string {
  const [first = "", ...rest] = describe(s.definition, s.type, s.doc);
  return [
    docComment([`Subject ${first}`, ...rest]),
    `export const ${s.exportName} = defineSubject(${str(s.type)});`,
  ].join("\n");
}

function emitKind(k: KindModel): string {
  const generics = k.permissions.length === 0 ? `<${str(k.type)}, never>` : "";
  const body = [
    `  notFoundMessage: ${str(k.notFoundMessage)},`,
    list(k.permissions.map(str), "  ", "permissions: ", k.permissions.length ? " as const," : ","),
    `  readPermission: ${k.readPermission === undefined ? "null" : str(k.readPermission)},`,
  ];
  return [
    docComment(describe(k.definition, k.type, k.doc)),
    `export const ${k.exportName} = defineResource${generics}(${str(k.type)}, {`,
    ...body,
    "});",
  ].join("\n");
}

function emitPortOptions(model: SchemaModel): string {
  const types = [...model.kinds, ...model.subjects]
    .filter((k) => k.type !== k.definition)
    .map((k): [string, string] => [k.type, k.definition])
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const parents = model.kinds
    .filter((k) => k.parentRelation !== undefined)
    .map((k): [string, string] => [k.type, k.parentRelation as string])
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const lines: string[] = [];
  if (types.length) lines.push(record("types", types, "  "));
  if (model.ownerRelation !== undefined)
    lines.push(`  ownerRelation: ${str(model.ownerRelation)},`);
  if (parents.length) lines.push(record("parentRelations", parents, "  "));
  const doc = docComment([
    "The SpiceDB port options the schema implies: for `spicedbPort`, `startEmbeddedSpiceDB` and",
    "`verifySchema`.",
  ]);
  return `${doc}\nexport const portOptions = ${lines.length ? `{\n${lines.join("\n")}\n}` : "{}"};`;
}

/**
 * The generated module.
 *
 * @returns TypeScript source, ending with a newline
 * @example
 * ```ts
 * writeFileSync("src/authz.ts", emitModule(model, { schemaPath: "schema.zed", command }));
 * ```
 */
export function emitModule(model: SchemaModel, options: EmitOptions): string {
  const kinds = model.kinds.map((k) => k.exportName);
  const subjects = model.subjects.map((s) => s.exportName);
  const imports = [
    ...(kinds.length ? ["defineResource"] : []),
    ...(subjects.length ? ["defineSubject"] : []),
  ];
  const header = [
    `// Generated by \`fgac generate\` from ${options.schemaPath}: do not edit. Edit the schema, then run`,
    `//   ${options.command}`,
    "//",
    "// Resource kinds (definitions with relations or permissions), exported under the definition's",
    "// name in camelCase (or its `// fgac:type` name):",
    ...wrap(kinds.length ? kinds.join(", ") : "none", "//   "),
    "// Subject factories (definitions with neither relations nor permissions):",
    ...wrap(subjects.length ? subjects.join(", ") : "none", "//   "),
    "// readPermission: the permission marked `// fgac:read`, else `read`, else `view`, else none.",
  ];
  const parts = [
    header.join("\n"),
    imports.length
      ? `import { ${imports.join(", ")} } from ${str(options.importFrom ?? "fgac")};`
      : "",
    ...model.subjects.map(emitSubject),
    ...model.kinds.map(emitKind),
    `/** Every resource kind above (for \`verifySchema\`). */\n${list(kinds, "", "export const resourceKinds = ", " as const;")}`,
    `/** Every subject factory above (for \`verifySchema\`). */\n${list(subjects, "", "export const subjectKinds = ", " as const;")}`,
    emitPortOptions(model),
  ].filter(Boolean);
  return `${parts.join("\n\n")}\n`;
}

function wrap(text: string, prefix: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && `${prefix}${line} ${word}`.length > WIDTH) {
      lines.push(prefix + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, prefix + line];
}
