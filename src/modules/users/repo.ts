import type { Knex } from 'knex';
import type { Role } from '../auth/tokens';

export interface UserRow {
  id: number;
  email: string;
  name: string;
  role: Role;
  payer_id: number | null;
  opd_id: number | null;
  password_hash: string;
  failed_sign_ins: number;
  locked_until: Date | null;
  disabled_at: Date | null;
  last_sign_in_at: Date | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

/** A user with the NPWRD and OPD code its scope names, as the API and the session token need them. */
export interface UserView extends UserRow {
  payer_npwrd: string | null;
  payer_name: string | null;
  opd_code: string | null;
  opd_name: string | null;
}

function withScope(db: Knex) {
  return db('users as u')
    .leftJoin('payers as p', 'p.id', 'u.payer_id')
    .leftJoin('opds as o', 'o.id', 'u.opd_id')
    .select('u.*', 'p.npwrd as payer_npwrd', 'p.name as payer_name', 'o.code as opd_code', 'o.name as opd_name');
}

export function listUsers(db: Knex): Promise<UserView[]> {
  return withScope(db).orderBy('u.email');
}

export function findUser(db: Knex, id: number): Promise<UserView | undefined> {
  return withScope(db).where('u.id', id).first();
}

export function findUserByEmail(db: Knex, email: string): Promise<UserView | undefined> {
  return withScope(db).where('u.email', email.toLowerCase()).first();
}

export async function payerIdByNpwrd(db: Knex, npwrd: string): Promise<number | undefined> {
  return (await db('payers').where({ npwrd }).first('id'))?.id;
}

export async function opdIdByCode(db: Knex, code: string): Promise<number | undefined> {
  return (await db('opds').where({ code }).first('id'))?.id;
}

export async function insertUser(db: Knex, row: Omit<UserRow, 'id' | 'failed_sign_ins' | 'locked_until' | 'disabled_at' | 'last_sign_in_at' | 'created_at' | 'updated_at'>): Promise<number> {
  const [{ id }] = await db('users').insert(row).returning('id');
  return id;
}

export async function updateUser(db: Knex, id: number, changes: Partial<UserRow>): Promise<void> {
  await db('users').where({ id }).update({ ...changes, updated_at: db.fn.now() });
}

export interface BankChannelView {
  code: string;
  name: string;
  bank_name: string;
  connector: string;
  concurrency: number;
  rate_per_second: number;
  time_zone: string;
}

/** Without their settings: those name the deployment's credentials. */
export function listBankChannels(db: Knex): Promise<BankChannelView[]> {
  return db('bank_channels').orderBy('code').select('code', 'name', 'bank_name', 'connector', 'concurrency', 'rate_per_second', 'time_zone');
}
