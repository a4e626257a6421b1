import { v1 } from "@authzed/authzed-node";
import {
  agentexSchema,
  type EmbeddedSpiceDB,
  startEmbeddedSpiceDB,
} from "../../src/spicedb/index.js";

/**
 * Two tenants. acme: alice (owner of agent a1), bob (viewer of a1, owner of key k-bob on a1),
 * carol (member, no rights). globex: mallory (owner of agent g1).
 */
export const WORLD = [
  "tenant:acme#member@user:alice",
  "tenant:acme#member@user:bob",
  "tenant:acme#member@user:carol",
  "tenant:globex#member@user:mallory",
  "agent:a1#tenant@tenant:acme",
  "agent:a1#owner@user:alice",
  "agent:a1#viewer@user:bob",
  "agent:g1#tenant@tenant:globex",
  "agent:g1#owner@user:mallory",
  "agent_api_key:k-alice#parent_agent@agent:a1",
  "agent_api_key:k-alice#owner@user:alice",
  "agent_api_key:k-bob#parent_agent@agent:a1",
  "agent_api_key:k-bob#owner@user:bob",
  "agent_api_key:k-mallory#parent_agent@agent:g1",
  "agent_api_key:k-mallory#owner@user:mallory",
];

export function startAgentex(extra: string[] = []): Promise<EmbeddedSpiceDB> {
  return startEmbeddedSpiceDB({ schema: agentexSchema, relationships: [...WORLD, ...extra] });
}

/** Every stored edge of one object, as `relation@subjectType:subjectId`, sorted. */
export async function edgesOf(
  db: EmbeddedSpiceDB,
  resourceType: string,
  resourceId?: string,
  relation = "",
): Promise<string[]> {
  const rows = await db.client.promises.readRelationships(
    v1.ReadRelationshipsRequest.create({
      consistency: { requirement: { oneofKind: "fullyConsistent", fullyConsistent: true } },
      relationshipFilter: {
        resourceType,
        optionalResourceId: resourceId ?? "",
        optionalRelation: relation,
        optionalResourceIdPrefix: "",
      },
    }),
  );
  return rows
    .map(
      (r) =>
        `${r.relationship?.relation}@${r.relationship?.subject?.object?.objectType}:${r.relationship?.subject?.object?.objectId}`,
    )
    .sort();
}
