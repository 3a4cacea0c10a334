import type { Knex } from 'knex';

export interface AuditEntry {
  actor: string;
  action: string;
  entityType: string;
  entityId: string | number;
  before?: unknown;
  after?: unknown;
}

/** Appends audit entries in the caller's transaction, so they commit or vanish with the change. */
export async function recordAudit(trx: Knex, entries: AuditEntry | AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  await trx('audit_log').insert(
    list.map((e) => ({
      actor: e.actor,
      action: e.action,
      entity_type: e.entityType,
      entity_id: String(e.entityId),
      before: e.before === undefined ? null : JSON.stringify(e.before),
      after: e.after === undefined ? null : JSON.stringify(e.after),
    })),
  );
}
