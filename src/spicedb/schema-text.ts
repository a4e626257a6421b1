// Reads the schema text SpiceDB itself writes (ReadSchema's answer): definitions with their
// relations, permissions and comments. Not a parser of the language: SpiceDB's output only.

/** A relation or permission of a definition, with the comments SpiceDB kept above it. */
export interface SchemaMember {
  readonly name: string;
  readonly comments: readonly string[];
}

/** One `definition` of a schema as SpiceDB writes it back. */
export interface SchemaDefinition {
  /** The definition's name, with its prefix (`org/team`). */
  readonly name: string;
  /** The comments SpiceDB kept above it, each as written (`/** ... *\/` or `// ...`). */
  readonly comments: readonly string[];
  readonly relations: readonly SchemaMember[];
  readonly permissions: readonly SchemaMember[];
}

/** A line of the text that is not of the shape SpiceDB writes. */
export class SchemaTextError extends Error {
  override readonly name = "SchemaTextError" as const;
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const NAME = "[a-z][a-z0-9_]*(?:/[a-z][a-z0-9_]*)*";
const DEFINITION = new RegExp(`^definition\\s+(${NAME})\\s*\\{\\s*(\\})?$`);
const RELATION = /^relation\s+([a-z][a-z0-9_]*)\s*:/;
const PERMISSION = /^permission\s+([a-z][a-z0-9_]*)\s*=/;

/**
 * Reads schema text in the shape SpiceDB's ReadSchema answers: one statement per line, every
 * definition and caveat closed by a `}` alone on its line, comments on their own lines directly
 * above what they describe.
 *
 * @throws {@link SchemaTextError} naming the first line of another shape
 * @example
 * ```ts
 * const [doc] = readSchemaText((await client.promises.readSchema({})).schemaText);
 * doc?.permissions.map((p) => p.name); // ["view", "edit"]
 * ```
 * @internal
 */
export function readSchemaText(text: string): SchemaDefinition[] {
  const lines = text.split(/\r?\n/);
  const definitions: SchemaDefinition[] = [];
  let pending: string[] = [];
  let current:
    | { name: string; comments: string[]; relations: SchemaMember[]; permissions: SchemaMember[] }
    | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (line === "") {
      pending = [];
      continue;
    }
    if (line.startsWith("//")) {
      pending.push(line);
      continue;
    }
    if (line.startsWith("/*")) {
      const start = i;
      while (!(lines[i] ?? "").includes("*/")) {
        if (++i >= lines.length) throw new SchemaTextError(start + 1, "unterminated comment");
      }
      pending.push(
        lines
          .slice(start, i + 1)
          .map((l) => l.trim())
          .join("\n"),
      );
      continue;
    }
    if (current) {
      if (line === "}") {
        definitions.push(current);
        current = undefined;
      } else {
        const relation = RELATION.exec(line)?.[1];
        const permission = PERMISSION.exec(line)?.[1];
        const member = { name: (relation ?? permission) as string, comments: pending };
        if (relation) current.relations.push(member);
        else if (permission) current.permissions.push(member);
        else throw new SchemaTextError(i + 1, "expected a relation, a permission or `}`");
      }
      pending = [];
      continue;
    }
    const definition = DEFINITION.exec(line);
    if (definition) {
      current = {
        name: definition[1] as string,
        comments: pending,
        relations: [],
        permissions: [],
      };
      if (definition[2]) {
        definitions.push(current);
        current = undefined;
      }
    } else if (line.startsWith("caveat ")) {
      // A caveat's body is an expression of its own language: skip to its closing line.
      const start = i;
      while ((lines[i] ?? "").trimEnd() !== "}") {
        if (++i >= lines.length) throw new SchemaTextError(start + 1, "unterminated caveat");
      }
    } else if (!/^use\s+[a-z_]+$/.test(line)) {
      throw new SchemaTextError(i + 1, "expected a definition, a caveat or a comment");
    }
    pending = [];
  }
  if (current) throw new SchemaTextError(lines.length, `definition ${current.name} is not closed`);
  return definitions;
}
