// npm run docs:examples: every public export of every entry point (as TypeDoc sees them, internal
// ones excluded) has an `@example` in its TSDoc. Lists the ones without, by source file, and
// exits 1 when there are any.
import { Application, ReflectionKind, TSConfigReader, TypeDocReader } from "typedoc";

const options = { disableSources: false, disableGit: true, sourceLinkTemplate: "{path}" };
const app = await Application.bootstrapWithPlugins(options, [
  new TypeDocReader(),
  new TSConfigReader(),
]);
const project = await app.convert();
if (!project) {
  console.error("docs:examples: TypeDoc could not convert the project");
  process.exit(1);
}

/** Comments where an export's example may be: its own, its signatures', its type's. */
function comments(reflection) {
  const found = [reflection.comment];
  for (const signature of reflection.signatures ?? []) found.push(signature.comment);
  const declaration =
    reflection.type?.type === "reflection" ? reflection.type.declaration : undefined;
  if (declaration) {
    found.push(declaration.comment);
    for (const signature of declaration.signatures ?? []) found.push(signature.comment);
  }
  return found.filter(Boolean);
}

const missing = new Map();
let exports = 0;
for (const module of project.getReflectionsByKind(ReflectionKind.Module)) {
  for (const child of module.children ?? []) {
    if (child.kindOf(ReflectionKind.Reference)) continue; // documented where it is declared
    exports += 1;
    if (comments(child).some((c) => c.getTag("@example"))) continue;
    const file =
      child.sources?.[0]?.fileName ?? project.getSymbolIdFromReflection(child)?.packagePath;
    const kind = ReflectionKind.singularString(child.kind).toLowerCase();
    const list = missing.get(file) ?? [];
    list.push(`${child.name} (${kind}, ${module.name})`);
    missing.set(file, list);
  }
}

const count = [...missing.values()].reduce((n, list) => n + list.length, 0);
if (count === 0) {
  console.log(`docs:examples: all ${exports} public exports have an @example`);
} else {
  console.error(`docs:examples: ${count} of ${exports} public exports have no @example:`);
  for (const [file, list] of [...missing].sort(([a], [b]) => String(a).localeCompare(String(b)))) {
    console.error(`  ${file}\n${list.map((e) => `    ${e}`).join("\n")}`);
  }
  process.exit(1);
}
