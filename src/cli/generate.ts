// `fgac generate` as a function: schema text in, the typed module's text out. SpiceDB compiles
// the schema; its directives and the flags shape the kinds and the port options.
import { readSchemaText } from "../spicedb/schema-text.js";
import { type EmitOptions, emitModule, MODULE_NAMES } from "./emit.js";
import { buildModel, type ModelOptions } from "./model.js";
import { SchemaSource } from "./source.js";
import { compileWithSpiceDB } from "./spicedb.js";

/** Options of {@link generate}. */
export interface GenerateOptions extends EmitOptions, Omit<ModelOptions, "reserved"> {}

/**
 * Generates the typed module for a schema.
 *
 * @param schema - the schema's text
 * @returns the module's text
 * @throws `SchemaError` naming the line of the first mistake (SpiceDB's, or a directive's)
 * @example
 * ```ts
 * const code = await generate(readFileSync("schema.zed", "utf8"), {
 *   schemaPath: "schema.zed",
 *   command: "npx fgac generate schema.zed --out src/authz.ts",
 * });
 * ```
 */
export async function generate(schema: string, options: GenerateOptions): Promise<string> {
  const source = new SchemaSource(schema);
  const definitions = readSchemaText(await compileWithSpiceDB(source));
  const model = buildModel(definitions, source, { ...options, reserved: MODULE_NAMES });
  return emitModule(model, options);
}
