import type { Knex } from 'knex';

export interface AssessmentRow {
  id: string;
  levy_type_id: number;
  levy_type_version_id: number;
  period: string;
  status: 'running' | 'completed' | 'failed';
  objects_considered: number;
  bills_created: number;
  bills_existing: number;
  lines_created: number;
  amount_created: number;
  unbilled: Array<{ object_code: string; reason: string }>;
  error: string | null;
  requested_by: string;
  created_at: Date;
  completed_at: Date | null;
}

/** Starts a run unless one is already running for the levy and period; returns the running one. */
export async function startRun(
  db: Knex,
  row: { levy_type_id: number; levy_type_version_id: number; period: string; requested_by: string },
): Promise<{ run: AssessmentRow; created: boolean }> {
  const { rows } = await db.raw(
    `INSERT INTO assessments (levy_type_id, levy_type_version_id, period, requested_by)
     VALUES (?, ?, ?, ?)
     ON CONFLICT (levy_type_id, period) WHERE status = 'running' DO NOTHING
     RETURNING *`,
    [row.levy_type_id, row.levy_type_version_id, row.period, row.requested_by],
  );
  if (rows.length) return { run: rows[0], created: true };
  const running = await db('assessments')
    .where({ levy_type_id: row.levy_type_id, period: row.period, status: 'running' })
    .first();
  if (running) return { run: running, created: false };
  // The running one finished between the two statements: start afresh.
  return startRun(db, row);
}

export function findRun(db: Knex, id: string): Promise<AssessmentRow | undefined> {
  return db('assessments').where({ id }).first();
}

export async function billsByStatus(db: Knex, levyTypeId: number, period: string): Promise<Record<string, number>> {
  const rows = await db('bills')
    .where({ levy_type_id: levyTypeId, period })
    .groupBy('status')
    .select('status')
    .count<{ status: string; count: string }[]>('* as count');
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]));
}
