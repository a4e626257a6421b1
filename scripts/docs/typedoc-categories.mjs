// TypeDoc plugin: puts each export of the core entry in a navigation category by the file that
// declares it, and each entry module under "Reference" in entry-point order, without @category
// tags in the sources.
import { Comment, CommentTag, Converter, ReflectionKind } from "typedoc";

/** Source file -> category; a file of the core entry missing here is an error (see below). */
export const CATEGORY_BY_FILE = {
  "src/core/resources.ts": "Resources",
  "src/core/agentex.ts": "Resources",
  "src/core/authorizer.ts": "Authorizer",
  "src/core/request-authorizer.ts": "Authorizer",
  "src/core/guarded-port.ts": "Authorizer",
  "src/core/logger.ts": "Authorizer",
  "src/core/timing.ts": "Authorizer",
  "src/core/collapse.ts": "Helpers",
  "src/core/list-filter.ts": "Helpers",
  "src/core/page.ts": "Helpers",
  "src/core/find-or-not-found.ts": "Helpers",
  "src/core/dual-write.ts": "Helpers",
  "src/core/reconcile.ts": "Helpers",
  "src/core/errors.ts": "Errors",
  "src/core/port.ts": "Ports",
};

/** The order of the categories in the core module's navigation. */
export const CATEGORY_ORDER = ["Resources", "Authorizer", "Helpers", "Errors", "Ports"];

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(
    Converter.EVENT_RESOLVE_BEGIN,
    (context) => {
      const project = context.project;
      for (const module of project.getReflectionsByKind(ReflectionKind.Module)) {
        addCategory(module, "Reference");
        if (module.name !== "fgac") continue;
        for (const child of module.children ?? []) {
          if (child.kindOf(ReflectionKind.Reference)) continue;
          const file = project.getSymbolIdFromReflection(child)?.packagePath;
          const category = file && CATEGORY_BY_FILE[file];
          if (!category) {
            app.logger.warn(
              `categories: ${child.name} (${file}) has no category: add its file to scripts/docs/typedoc-categories.mjs`,
            );
            continue;
          }
          addCategory(child, category);
        }
      }
    },
    100,
  );
  // Modules under "Reference" in the order of `entryPoints` (the core first), not by file path.
  app.converter.on(
    Converter.EVENT_RESOLVE_END,
    (context) => {
      const entryPoints = app.options.getValue("entryPoints");
      const rank = (module) => {
        const file = context.project.getSymbolIdFromReflection(module)?.packagePath;
        const i = entryPoints.findIndex((entry) => entry.endsWith(file ?? "\0"));
        return i === -1 ? entryPoints.length : i;
      };
      const reference = context.project.categories?.find((c) => c.title === "Reference");
      reference?.children.sort((a, b) => rank(a) - rank(b));
    },
    -300,
  );
}

/** Adds `@category name` to the reflection's comment, unless it has a category already. */
function addCategory(reflection, name) {
  reflection.comment ??= new Comment();
  if (reflection.comment.blockTags.some((tag) => tag.tag === "@category")) return;
  reflection.comment.blockTags.push(new CommentTag("@category", [{ kind: "text", text: name }]));
}
