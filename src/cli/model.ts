// What the generated module holds, decided from the schema SpiceDB compiled, its `// fgac:`
// directives and the command's flags: kinds, subject factories, port options.
import { isValidTypeName } from "../core/resources.js";
import type { SchemaDefinition } from "../spicedb/schema-text.js";
import { type Directive, SchemaError, type SchemaSource } from "./source.js";

/** A resource kind to generate. */
export interface KindModel {
  /** The schema definition. */
  definition: string;
  /** The library type (the definition's name unless `// fgac:type` says otherwise). */
  type: string;
  exportName: string;
  doc: string | undefined;
  permissions: string[];
  readPermission: string | undefined;
  notFoundMessage: string;
  parentRelation: string | undefined;
}

/** A subject factory to generate (a definition with neither relations nor permissions). */
export interface SubjectModel {
  definition: string;
  type: string;
  exportName: string;
  doc: string | undefined;
}

/** Everything the generated module says. */
export interface SchemaModel {
  kinds: KindModel[];
  subjects: SubjectModel[];
  ownerRelation: string | undefined;
}

/** Flags of `fgac generate` that shape the model. */
export interface ModelOptions {
  /** `--parent type=relation`, keyed by kind type or definition name. */
  parents?: Readonly<Record<string, string>>;
  /** `--owner relation`. */
  ownerRelation?: string;
  /** Names the module itself declares or imports, which no export may take. */
  reserved?: readonly string[];
}

const DIRECTIVES: Record<string, { on: Directive["target"]["kind"]; argument: boolean }> = {
  type: { on: "definition", argument: true },
  "not-found": { on: "definition", argument: true },
  parent: { on: "relation", argument: false },
  read: { on: "permission", argument: false },
  internal: { on: "permission", argument: false },
};

// Words a `const` may not be named in a module (strict mode), and globals it would shadow badly.
const JS_RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends " +
    "false finally for function if implements import in instanceof interface let new null package " +
    "private protected public return static super switch this throw true try typeof var void while " +
    "with yield await arguments eval undefined NaN Infinity"
  ).split(" "),
);

/**
 * The export name of a definition or kind type.
 *
 * @example
 * ```ts
 * camelCase("org/team"); // "orgTeam"
 * camelCase("agent_api_key"); // "agentApiKey"
 * ```
 */
export function camelCase(name: string): string {
  const [first = "", ...rest] = name.split(/[/_]+/).filter(Boolean);
  return first + rest.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("");
}

/** `agent_api_key` -> `Agent api key not found.` (a constant: never an identifier). */
function defaultNotFound(definition: string): string {
  const words = (definition.split("/").pop() ?? definition).replace(/_+/g, " ").trim();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)} not found.`;
}

function docOf(definition: SchemaDefinition): string | undefined {
  const doc = definition.comments.find((c) => c.startsWith("/**"));
  if (!doc) return undefined;
  const text = doc
    .replace(/^\/\*\*/, "")
    .replace(/\*\/$/, "")
    .split("\n")
    .map((l) => l.replace(/^\s*\*\s?/, "").trimEnd())
    .join("\n")
    .trim();
  return text || undefined;
}

/**
 * Builds the model.
 *
 * @throws {@link SchemaError} naming the line of the first mistake (a misplaced or unknown
 *   directive, an export name taken twice or reserved, a flag naming nothing)
 * @example
 * ```ts
 * const model = buildModel(readSchemaText(canonical), new SchemaSource(text), { ownerRelation: "owner" });
 * ```
 */
export function buildModel(
  definitions: readonly SchemaDefinition[],
  source: SchemaSource,
  options: ModelOptions = {},
): SchemaModel {
  if (definitions.length === 0) throw new SchemaError("the schema has no definition");
  const byDefinition = new Map<string, Directive[]>();
  for (const d of source.directives()) {
    const rule = DIRECTIVES[d.name];
    if (!rule) {
      const known = Object.keys(DIRECTIVES)
        .map((n) => `fgac:${n}`)
        .join(", ");
      throw new SchemaError(`unknown directive fgac:${d.name} (known: ${known})`, d.line);
    }
    if (rule.on !== d.target.kind)
      throw new SchemaError(`fgac:${d.name} marks a ${rule.on}, not a ${d.target.kind}`, d.line);
    if (rule.argument !== (d.argument !== ""))
      throw new SchemaError(
        rule.argument ? `fgac:${d.name} needs an argument` : `fgac:${d.name} takes no argument`,
        d.line,
      );
    byDefinition.set(d.definition, [...(byDefinition.get(d.definition) ?? []), d]);
  }
  const kinds: KindModel[] = [];
  const subjects: SubjectModel[] = [];
  const parents = { ...options.parents };
  for (const definition of definitions) {
    const directives = byDefinition.get(definition.name) ?? [];
    const one = (name: string, target?: string) => {
      const found = directives.filter(
        (d) => d.name === name && (target === undefined || d.target.name === target),
      );
      if (found.length > 1)
        throw new SchemaError(`a second fgac:${name} in ${definition.name}`, found[1]?.line);
      return found[0];
    };
    const typeDirective = one("type");
    const type = typeDirective?.argument ?? definition.name;
    if (!isValidTypeName(type))
      throw new SchemaError(`fgac:type ${type} is not a valid type name`, typeDirective?.line);
    const exportName = camelCase(type);
    const doc = docOf(definition);
    if (definition.relations.length === 0 && definition.permissions.length === 0) {
      subjects.push({ definition: definition.name, type, exportName, doc });
      continue;
    }
    const internal = new Set(
      directives.filter((d) => d.name === "internal").map((d) => d.target.name),
    );
    const read = directives.filter((d) => d.name === "read");
    if (read.length > 1)
      throw new SchemaError(`a second fgac:read in ${definition.name}`, read[1]?.line);
    if (read[0] && internal.has(read[0].target.name))
      throw new SchemaError("a permission marked fgac:read cannot be fgac:internal", read[0].line);
    const permissions = definition.permissions.map((p) => p.name).filter((p) => !internal.has(p));
    const readPermission =
      read[0]?.target.name ?? ["read", "view"].find((p) => permissions.includes(p));
    const parentDirectives = directives.filter((d) => d.name === "parent");
    if (parentDirectives.length > 1)
      throw new SchemaError(
        `a second fgac:parent in ${definition.name}`,
        parentDirectives[1]?.line,
      );
    const flag = parents[type] ?? parents[definition.name];
    delete parents[type];
    delete parents[definition.name];
    const parentRelation = flag ?? parentDirectives[0]?.target.name;
    if (flag !== undefined && !definition.relations.some((r) => r.name === flag))
      throw new SchemaError(
        `--parent ${type}=${flag}: ${definition.name} has no relation ${flag}`,
        source.lineOfDeclaration(definition.name),
      );
    const notFound = one("not-found");
    const notFoundMessage = notFound?.argument ?? defaultNotFound(definition.name);
    if (!/^[^"\\]{1,200}$/.test(notFoundMessage))
      throw new SchemaError(
        "fgac:not-found: at most 200 characters, no quote or backslash",
        notFound?.line,
      );
    kinds.push({
      definition: definition.name,
      type,
      exportName,
      doc,
      permissions,
      readPermission,
      notFoundMessage,
      parentRelation,
    });
  }
  const unknownParent = Object.keys(parents)[0];
  if (unknownParent !== undefined)
    throw new SchemaError(
      `--parent ${unknownParent}=...: no definition or kind is named ${unknownParent}`,
    );
  if (
    options.ownerRelation !== undefined &&
    !definitions.some((d) => d.relations.some((r) => r.name === options.ownerRelation))
  )
    throw new SchemaError(`--owner ${options.ownerRelation}: no definition has that relation`);
  checkExportNames([...kinds, ...subjects], source, options.reserved ?? []);
  return { kinds, subjects, ownerRelation: options.ownerRelation };
}

function checkExportNames(
  items: ReadonlyArray<{ definition: string; exportName: string }>,
  source: SchemaSource,
  reserved: readonly string[],
): void {
  const seen = new Map<string, string>();
  for (const { definition, exportName } of items) {
    const line = source.lineOfDeclaration(definition);
    const hint = "rename the definition, or name its kind with // fgac:type <name> above it";
    if (JS_RESERVED.has(exportName) || reserved.includes(exportName))
      throw new SchemaError(
        `${definition} would be exported as ${exportName}, a name the module cannot take: ${hint}`,
        line,
      );
    const other = seen.get(exportName);
    if (other !== undefined) {
      const otherLine = source.lineOfDeclaration(other);
      throw new SchemaError(
        `${definition} and ${other}${otherLine ? ` (line ${otherLine})` : ""} would both be exported as ${exportName}: ${hint}`,
        line,
      );
    }
    seen.set(exportName, definition);
  }
}
