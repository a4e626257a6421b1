// The docs routes as plain functions of (authorizer, input): each framework's app only parses
// the request, calls one of these and serialises the answer. The kinds come from ../authz.ts.
import { randomUUID } from "node:crypto";
import {
  createRegistered,
  type DualWriteOptions,
  deleteDeregistered,
  NotFoundError,
  type Page,
  type RequestAuthorizer,
  withAuthorizedIds,
} from "fgac";
import { z } from "zod";
import { BadRequestError, keysetPage } from "../../shared/service.js";
import { document, folder } from "../authz.js";
import type { DocsDb, DocumentRow, FolderRow } from "./db.js";

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((i) => i.path.join(".") || "body"))];
    throw new BadRequestError(`Invalid request: ${fields.join(", ")}.`);
  }
  return result.data;
}

/** Text a client may send: no control character, no lone surrogate (400 otherwise). */
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !/[\p{Cc}\p{Cs}]/u.test(s));

const createFolderBody = z.object({ name: text(255), parent_id: text(2048).optional() });
const createDocumentBody = z.object({ folder_id: text(2048), title: text(255) });
const renameBody = z.object({ title: text(255) });
const listQuery = z
  .object({
    folder_id: text(2048).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    // Absent is page 1; given with `after`, ambiguous (400).
    page_number: z.coerce.number().int().min(1).max(1_000_000).optional(),
    // Keyset paging: "" asks for the first page, otherwise the previous page's cursor.
    after: z.union([z.literal(""), text(2048)]).optional(),
  })
  .refine((q) => q.after === undefined || q.page_number === undefined, {
    path: ["page_number"],
  });

/** What the routes need. */
export interface DocsServiceDeps {
  db: DocsDb;
  dualWrite?: DualWriteOptions;
}

/** A folder id from a client: invalid or unknown-to-the-caller are the same 404. */
function folderOf(id: string) {
  if (!folder.isValidId(id)) throw new NotFoundError(folder.notFoundMessage);
  return folder(id);
}

/**
 * POST /folders: under a parent, the caller must be able to edit it (a viewer gets 403, a
 * stranger 404); without one, a new root folder the caller owns.
 */
export async function createFolder(
  deps: DocsServiceDeps,
  authz: RequestAuthorizer,
  body: unknown,
): Promise<FolderRow> {
  const input = parse(createFolderBody, body);
  const parent = input.parent_id !== undefined ? folderOf(input.parent_id) : undefined;
  if (parent) await authz.checkOrNotFound(parent, "edit");
  const id = randomUUID();
  return createRegistered(
    authz,
    { resource: folder(id), ...(parent ? { parent } : {}) },
    () => deps.db.insertFolder({ id, name: input.name, parent_id: input.parent_id ?? null }),
    deps.dualWrite,
  );
}

/** GET /folders/:id (the route guards `view` on the id first). */
export async function getFolder(deps: DocsServiceDeps, id: string): Promise<FolderRow> {
  const row = await deps.db.getFolder(id);
  if (!row) throw new NotFoundError(folder.notFoundMessage);
  return row;
}

/**
 * POST /documents: the document does not exist yet, so the caller needs `edit` on the folder;
 * the document is registered (owner + folder edge) before the insert.
 */
export async function createDocument(
  deps: DocsServiceDeps,
  authz: RequestAuthorizer,
  body: unknown,
): Promise<DocumentRow> {
  const input = parse(createDocumentBody, body);
  const parent = folderOf(input.folder_id);
  await authz.checkOrNotFound(parent, "edit");
  const id = randomUUID();
  return createRegistered(
    authz,
    { resource: document(id), parent },
    () => deps.db.insertDocument({ id, folder_id: input.folder_id, title: input.title }),
    deps.dualWrite,
  );
}

/**
 * GET /documents: the ids the caller may `view` (the kind's read permission: no permission
 * named here) pushed into the SQL; none answers [] without SQL. With `folder_id`, only that
 * folder's documents are looked up, after a check that the caller may view the folder.
 * `limit` and `page_number` page by offset after the filter.
 *
 * With `after` (keyset paging, instead of `page_number`: both are a 400): one page by
 * `authz.page` on `view`, over the documents in id order by bytes (`after=` for the first
 * page, then the previous page's `next`, sealed by the authorizer: it names no row); `next` is
 * set while more pages follow (a page may be short). With `folder_id`, only that folder's
 * documents are read and checked, after the same check on the folder ({@link keysetPage}).
 */
export async function listDocuments(
  deps: DocsServiceDeps,
  authz: RequestAuthorizer,
  query: unknown,
): Promise<Page<DocumentRow>> {
  const input = parse(listQuery, query);
  const folderId = input.folder_id;
  if (folderId !== undefined && !folder.isValidId(folderId)) return { items: [] };
  if (input.after !== undefined) {
    const parent =
      folderId === undefined
        ? undefined
        : { resource: folder(folderId), permission: "view" as const };
    return keysetPage(authz, document, "view", parent, {
      limit: input.limit,
      after: input.after,
      candidates: (after, limit, filter) =>
        deps.db.documentsAfter({ after, limit, ids: filter?.ids, folderId }),
    });
  }
  const ids =
    folderId !== undefined
      ? await authz.authorizedIds(document, "view", { parent: folder(folderId) })
      : await authz.authorizedIds(document);
  const items = await withAuthorizedIds(ids, (ids) =>
    deps.db.listDocuments({
      ids,
      ...(folderId !== undefined ? { folderId } : {}),
      limit: input.limit,
      offset: ((input.page_number ?? 1) - 1) * input.limit,
    }),
  );
  return { items };
}

/** GET /documents/:id (the route guards `view` on the id first). */
export async function getDocument(deps: DocsServiceDeps, id: string): Promise<DocumentRow> {
  const row = await deps.db.getDocument(id);
  if (!row) throw new NotFoundError(document.notFoundMessage);
  return row;
}

/** PATCH /documents/:id `{title}` (the route guards `edit` on the id first). */
export async function renameDocument(
  deps: DocsServiceDeps,
  id: string,
  body: unknown,
): Promise<DocumentRow> {
  const { title } = parse(renameBody, body);
  const row = await deps.db.renameDocument(id, title);
  if (!row) throw new NotFoundError(document.notFoundMessage);
  return row;
}

/** DELETE /documents/:id (the route guards `delete` on the id first: two-factor in the schema). */
export async function deleteDocument(
  deps: DocsServiceDeps,
  authz: RequestAuthorizer,
  id: string,
): Promise<{ id: string; deleted: boolean }> {
  const deleted = await deleteDeregistered(
    authz,
    document(id),
    () => deps.db.deleteDocument(id),
    deps.dualWrite,
  );
  return { id, deleted };
}
