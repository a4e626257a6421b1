// The schema file as the user wrote it: where its statements and comments are (for messages
// that name a line) and the `// fgac:` directives in it, each tied to what it stands above.

/** A mistake in the schema file, at a line when one can be named. */
export class SchemaError extends Error {
  override readonly name = "SchemaError" as const;
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** A `// fgac:name argument` comment and the statement directly below it. */
export interface Directive {
  readonly name: string;
  readonly argument: string;
  readonly line: number;
  readonly target: { kind: "definition" | "relation" | "permission"; name: string };
  /** The definition the target is in (the target itself for a definition). */
  readonly definition: string;
}

/** A comment of the source: where it is and whether it stands alone on its line. */
interface Comment {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly ownLine: boolean;
}

const NAME = "[a-z][a-z0-9_]*(?:/[a-z][a-z0-9_]*)*";
const STATEMENT = new RegExp(`^\\s*(definition|relation|permission|caveat)\\s+(${NAME})`);

/** The schema's text with comments blanked out (same length, same lines), and its comments. */
export class SchemaSource {
  readonly code: string;
  private readonly comments: Comment[] = [];
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    const code = text.split("");
    for (let i = 0; i < text.length; i++) {
      if (text[i] === "\n") this.lineStarts.push(i + 1);
    }
    let i = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '"' || c === "'") {
        // A string of a caveat expression: a `//` in it is no comment.
        let j = i + 1;
        while (j < text.length && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
        i = j + 1;
      } else if (c === "/" && (text[i + 1] === "/" || text[i + 1] === "*")) {
        const block = text[i + 1] === "*";
        const close = block ? text.indexOf("*/", i + 2) : text.indexOf("\n", i);
        const end = close === -1 ? text.length : block ? close + 2 : close;
        const before = text.slice(this.lineStarts[this.lineOf(i) - 1], i);
        this.comments.push({ text: text.slice(i, end), start: i, end, ownLine: !before.trim() });
        for (let k = i; k < end; k++) if (code[k] !== "\n") code[k] = " ";
        i = end;
      } else {
        i += 1;
      }
    }
    this.code = code.join("");
  }

  /** The 1-based line of a character offset. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** The line declaring `definition`, or its member `member`; undefined when not found. */
  lineOfDeclaration(definition: string, member?: string): number | undefined {
    const body = this.bodyOf(definition);
    if (!body) return undefined;
    if (member === undefined) return this.lineOf(body.declaration);
    const re = new RegExp(`\\b(?:relation|permission)\\s+${member}\\b`, "g");
    re.lastIndex = body.start;
    const m = re.exec(this.code);
    return m && m.index < body.end ? this.lineOf(m.index) : undefined;
  }

  /** Offsets of `definition name {` and of its body. */
  bodyOf(definition: string): { declaration: number; start: number; end: number } | undefined {
    const re = new RegExp(`(?:^|\\s)definition\\s+${escapeName(definition)}\\s*\\{`, "g");
    const m = re.exec(this.code);
    if (!m) return undefined;
    const start = m.index + m[0].length;
    const close = this.code.indexOf("}", start);
    const declaration = m.index + m[0].indexOf("definition");
    return { declaration, start, end: close === -1 ? this.code.length : close };
  }

  /**
   * The best guess at the line a message of SpiceDB's is about: the line, within the definition
   * it names, where most of the names it quotes stand (the last such line for a duplicate).
   */
  lineOfMessage(message: string): number | undefined {
    const quoted = [...message.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    const definition = /definition `([^`]+)`/.exec(message)?.[1];
    const body = definition !== undefined ? this.bodyOf(definition) : undefined;
    const lines = this.code.split("\n");
    let best: { line: number; score: number } | undefined;
    const first = body ? this.lineOf(body.start) : 1;
    const last = body ? this.lineOf(body.end) : lines.length;
    for (let n = first; n <= last; n++) {
      const text = lines[n - 1] ?? "";
      const score = quoted.filter((q) => q !== definition && wordIn(text, q)).length;
      if (
        score > 0 &&
        (!best || score > best.score || (score === best.score && /duplicate/.test(message)))
      )
        best = { line: n, score };
    }
    return best?.line;
  }

  /**
   * Every `// fgac:` directive, tied to the statement directly below it.
   *
   * @throws {@link SchemaError} for one that stands after code on its line, or above no
   *   definition, relation or permission
   */
  directives(): Directive[] {
    const out: Directive[] = [];
    for (const comment of this.comments) {
      const m = /^\/\/\s*fgac:([a-z-]*)\s*(.*)$/.exec(comment.text);
      if (!m) continue;
      const line = this.lineOf(comment.start);
      const where =
        "an fgac: directive must stand on its own line, directly above a definition, relation or permission";
      if (!comment.ownLine) throw new SchemaError(where, line);
      const rest = this.code.slice(comment.end);
      const statement = STATEMENT.exec(rest);
      if (!statement || statement[1] === "caveat") throw new SchemaError(where, line);
      const kind = statement[1] as Directive["target"]["kind"];
      const name = statement[2] as string;
      const definition = kind === "definition" ? name : this.enclosingDefinition(comment.start);
      if (definition === undefined) throw new SchemaError(where, line);
      out.push({
        name: m[1] as string,
        argument: (m[2] as string).trim(),
        line,
        target: { kind, name },
        definition,
      });
    }
    return out;
  }

  private enclosingDefinition(offset: number): string | undefined {
    const re = new RegExp(`(?:^|\\s)definition\\s+(${NAME})\\s*\\{`, "g");
    let found: string | undefined;
    for (let m = re.exec(this.code); m && m.index < offset; m = re.exec(this.code)) found = m[1];
    return found;
  }
}

function escapeName(text: string): string {
  return text.replace(/[/]/g, "\\/");
}

function wordIn(text: string, word: string): boolean {
  return new RegExp(`(^|[^a-z0-9_/])${escapeName(word)}($|[^a-z0-9_/])`).test(text);
}
