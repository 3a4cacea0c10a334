import type { Knex } from 'knex';

export interface SessionRow {
  id: string;
  user_id: number;
  expires_at: Date;
  revoked_at: Date | null;
  created_at: Date;
}

export async function insertSession(db: Knex, row: { user_id: number; expires_at: Date; ip: string | null; user_agent: string | null }): Promise<SessionRow> {
  const [session] = await db('user_sessions').insert(row).returning('*');
  return session;
}

/** The session if it is still live and its user may still sign in. */
export function findLiveSession(db: Knex, id: string): Promise<SessionRow | undefined> {
  return db('user_sessions as s')
    .join('users as u', 'u.id', 's.user_id')
    .where('s.id', id)
    .whereNull('s.revoked_at')
    .where('s.expires_at', '>', db.fn.now())
    .whereNull('u.disabled_at')
    .first('s.*');
}

export async function revokeSession(db: Knex, id: string): Promise<void> {
  await db('user_sessions').where({ id }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });
}

/** Ends every session of a user, so a change of role, password or access takes effect at once. */
export async function revokeUserSessions(db: Knex, userId: number): Promise<void> {
  await db('user_sessions').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });
}
