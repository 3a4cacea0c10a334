import type { Knex } from 'knex';
import { insertColumns, withPg } from '../../db';
import { auditHash, ChainedFields } from './chain';

export interface AuditEntry {
  actor: string;
  action: string;
  entityType: string;
  entityId: string | number;
  before?: unknown;
  after?: unknown;
}

// Each entity's last entry by a backward probe of the chain index: a few index pages per entity,
// however long the trail and however stale the planner's statistics (an IN list was filtered over
// every entry of the type once the table had grown during an assessment).
const TAILS_SQL = `
  SELECT e.entity_type, e.entity_id, a.seq, a.hash
    FROM unnest($1::text[], $2::text[]) AS e(entity_type, entity_id)
    CROSS JOIN LATERAL (
      SELECT seq, hash FROM audit_log l
       WHERE l.entity_type = e.entity_type AND l.entity_id = e.entity_id
       ORDER BY seq DESC LIMIT 1) a`;
const INSERT_SQL = `
  INSERT INTO audit_log (actor, action, entity_type, entity_id, seq, prev_hash, before, after, created_at, hash)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::jsonb[], $8::jsonb[],
                       $9::timestamptz[], $10::text[])`;

/**
 * Appends audit entries in the caller's transaction, so they commit or vanish with the change,
 * each linked to the previous entry of the same entity (see chain.ts).
 */
export async function recordAudit(trx: Knex, entries: AuditEntry | AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  const entities = [...new Map(list.map((e) => [`${e.entityType}\u0000${e.entityId}`, [e.entityType, String(e.entityId)]])).values()];
  const tails = await withPg(trx, async (client) =>
    (
      // Unnamed, so planned for the trail as it is each time: a plan kept from when the trail was
      // empty would read all of it for every entity.
      await client.query<{ entity_type: string; entity_id: string; seq: number; hash: string }>(TAILS_SQL, [
        entities.map(([type]) => type),
        entities.map(([, id]) => id),
      ])
    ).rows,
  );
  const last = new Map(tails.map((t) => [`${t.entity_type}\u0000${t.entity_id}`, t]));
  const now = new Date();
  const rows = list.map((e) => {
    const key = `${e.entityType}\u0000${e.entityId}`;
    const prev = last.get(key);
    const fields: ChainedFields = {
      actor: e.actor,
      action: e.action,
      entity_type: e.entityType,
      entity_id: String(e.entityId),
      seq: (prev?.seq ?? 0) + 1,
      prev_hash: prev?.hash ?? null,
      before: e.before ?? null,
      after: e.after ?? null,
      created_at: now,
    };
    const hash = auditHash(fields);
    last.set(key, { entity_type: fields.entity_type, entity_id: fields.entity_id, seq: fields.seq, hash });
    return { ...fields, hash };
  });
  await insertColumns(trx, 'kasda-audit-insert', INSERT_SQL, [
    rows.map((r) => r.actor),
    rows.map((r) => r.action),
    rows.map((r) => r.entity_type),
    rows.map((r) => r.entity_id),
    rows.map((r) => r.seq),
    rows.map((r) => r.prev_hash),
    rows.map((r) => JSON.stringify(r.before)),
    rows.map((r) => JSON.stringify(r.after)),
    rows.map((r) => r.created_at),
    rows.map((r) => r.hash),
  ]);
}
