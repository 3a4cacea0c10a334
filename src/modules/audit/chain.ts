import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { canonicalJson } from '../../lib/canonical-json';

/**
 * The audit trail is a hash chain per entity (a bill's history, a payment's): each entry carries
 * its sequence number, the previous entry's hash and its own hash over its content. Chains per
 * entity rather than one global chain, so writers of different bills never wait on each other;
 * the unique (entity, seq) key makes a concurrent fork fail instead of branching silently.
 */
export interface ChainedFields {
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string;
  seq: number;
  prev_hash: string | null;
  before: unknown;
  after: unknown;
  created_at: Date;
}

export function auditHash(f: ChainedFields): string {
  const content = canonicalJson({
    actor: f.actor,
    action: f.action,
    entity_type: f.entity_type,
    entity_id: f.entity_id,
    seq: f.seq,
    prev_hash: f.prev_hash,
    before: f.before ?? null,
    after: f.after ?? null,
    created_at: f.created_at.toISOString(),
  });
  return crypto.createHash('sha256').update(content).digest('hex');
}

/** Fills seq and hashes for rows written before the chain existed (the migration that adds it). */
export async function chainAuditRows(knex: Knex): Promise<void> {
  const rows = await knex('audit_log').orderBy('id');
  const last = new Map<string, { seq: number; hash: string }>();
  for (const r of rows) {
    const key = `${r.entity_type}\u0000${r.entity_id}`;
    const prev = last.get(key);
    const fields: ChainedFields = {
      ...r,
      seq: (prev?.seq ?? 0) + 1,
      prev_hash: prev?.hash ?? null,
      created_at: new Date(r.created_at),
    };
    const hash = auditHash(fields);
    await knex('audit_log').where({ id: r.id }).update({ seq: fields.seq, prev_hash: fields.prev_hash, hash });
    last.set(key, { seq: fields.seq, hash });
  }
}

export interface ChainProblem {
  entity_type: string;
  entity_id: string;
  seq: number;
  problem: string;
}

/** Recomputes every chain, a keyset page at a time, so the whole trail is never in memory. */
export async function verifyAuditChains(db: Knex): Promise<{ entries: number; problems: ChainProblem[] }> {
  const problems: ChainProblem[] = [];
  let entries = 0;
  let previous: { key: string; seq: number; hash: string } | undefined;
  let after: [string, string, number] | undefined;
  for (;;) {
    const rows = await db('audit_log')
      .modify((q) => {
        if (after) q.whereRaw('(entity_type, entity_id, seq) > (?, ?, ?)', after);
      })
      .orderBy([{ column: 'entity_type' }, { column: 'entity_id' }, { column: 'seq' }])
      .limit(5000);
    if (rows.length === 0) break;
    const tail = rows[rows.length - 1];
    after = [tail.entity_type, tail.entity_id, tail.seq];
    for (const r of rows) {
      entries += 1;
      const key = `${r.entity_type}\u0000${r.entity_id}`;
      const expectSeq = previous?.key === key ? previous.seq + 1 : 1;
      const expectPrev = previous?.key === key ? previous.hash : null;
      const at = { entity_type: r.entity_type, entity_id: r.entity_id, seq: r.seq };
      if (r.seq !== expectSeq) problems.push({ ...at, problem: `sequence jumps from ${expectSeq - 1} to ${r.seq}` });
      if (r.prev_hash !== expectPrev) problems.push({ ...at, problem: 'previous hash does not match the previous entry' });
      if (auditHash({ ...r, created_at: new Date(r.created_at) }) !== r.hash) {
        problems.push({ ...at, problem: 'content does not match its hash' });
      }
      previous = { key, seq: r.seq, hash: r.hash };
    }
  }
  return { entries, problems };
}
