import type { Knex } from 'knex';
import { AppError, Conflict, NotFound } from '../../errors';
import { recordAudit } from '../audit/service';
import type { Principal } from '../auth/tokens';
import { revokeUserSessions } from '../sessions/repo';
import { hashPassword } from './passwords';
import * as repo from './repo';
import { FieldError, fieldErrors, NewUser, newUser, UserChange, userChange } from './schema';

/**
 * Users are people who sign in to the web pages: BPKAD and OPD staff, auditors, admins, and
 * payers' own staff. Only an admin creates them and sets their role (the first admin comes from
 * the CLI). A payer user acts for one payer (NPWRD), an OPD admin for one OPD, exactly as the
 * role's token would.
 */
export interface User {
  id: number;
  email: string;
  name: string;
  role: repo.UserRow['role'];
  payer: { npwrd: string; name: string } | null;
  opd: { code: string; name: string } | null;
  disabled: boolean;
  locked_until: string | null;
  failed_sign_ins: number;
  last_sign_in_at: string | null;
  created_at: string;
}

export function toUser(u: repo.UserView): User {
  const locked = u.locked_until && u.locked_until.getTime() > Date.now() ? u.locked_until.toISOString() : null;
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    payer: u.payer_npwrd ? { npwrd: u.payer_npwrd, name: u.payer_name ?? '' } : null,
    opd: u.opd_code ? { code: u.opd_code, name: u.opd_name ?? '' } : null,
    disabled: u.disabled_at !== null,
    locked_until: locked,
    failed_sign_ins: u.failed_sign_ins,
    last_sign_in_at: u.last_sign_in_at?.toISOString() ?? null,
    created_at: u.created_at.toISOString(),
  };
}

/** The principal a user's session token carries: the same claims a role's bearer token has. */
export function principalOf(u: repo.UserView): Principal {
  return {
    sub: u.email,
    role: u.role,
    ...(u.role === 'payer' ? { npwrd: u.payer_npwrd ?? undefined } : {}),
    ...(u.role === 'opd_admin' ? { opd: u.opd_code ?? undefined } : {}),
  };
}

const invalid = (errors: FieldError[]) => new AppError('user_invalid', `${errors[0].field}: ${errors[0].reason}`, 422, { errors });

/** The payer and OPD ids the role needs, and none it does not. */
async function scopeOf(db: Knex, role: repo.UserRow['role'], payer: string | null | undefined, opd: string | null | undefined) {
  const errors: FieldError[] = [];
  let payerId: number | null = null;
  let opdId: number | null = null;
  if (role === 'payer') {
    if (!payer) errors.push({ field: 'payer', reason: 'a payer user needs the NPWRD it acts for' });
    else if (!(payerId = (await repo.payerIdByNpwrd(db, payer)) ?? null)) errors.push({ field: 'payer', reason: `no payer has NPWRD ${payer}` });
  } else if (payer) errors.push({ field: 'payer', reason: `only a payer user has a payer; this one is ${role}` });
  if (role === 'opd_admin') {
    if (!opd) errors.push({ field: 'opd', reason: 'an OPD admin needs the code of its OPD' });
    else if (!(opdId = (await repo.opdIdByCode(db, opd)) ?? null)) errors.push({ field: 'opd', reason: `no OPD has code ${opd}` });
  } else if (opd) errors.push({ field: 'opd', reason: `only an OPD admin has an OPD; this one is ${role}` });
  if (errors.length) throw invalid(errors);
  return { payer_id: payerId, opd_id: opdId };
}

const actorOf = (who: Principal | string) => (typeof who === 'string' ? who : `${who.role}:${who.sub}`);

export async function createUser(db: Knex, who: Principal | string, input: NewUser): Promise<User> {
  const parsed = newUser.safeParse(input);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const u = parsed.data;
  const scope = await scopeOf(db, u.role, u.payer, u.opd);
  const passwordHash = await hashPassword(u.password);
  const id = await db.transaction(async (trx) => {
    let created: number;
    try {
      created = await repo.insertUser(trx, { email: u.email, name: u.name, role: u.role, ...scope, password_hash: passwordHash, created_by: actorOf(who) });
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw new Conflict('user_exists', `A user with e-mail ${u.email} already exists`);
      throw e;
    }
    await recordAudit(trx, { actor: actorOf(who), action: 'user.created', entityType: 'user', entityId: created, after: { email: u.email, role: u.role, payer: u.payer ?? null, opd: u.opd ?? null } });
    return created;
  });
  return toUser((await repo.findUser(db, id))!);
}

export async function listUsers(db: Knex): Promise<User[]> {
  return (await repo.listUsers(db)).map(toUser);
}

async function found(db: Knex, id: number): Promise<repo.UserView> {
  const u = await repo.findUser(db, id);
  if (!u) throw new NotFound('user_not_found', `No user ${id}`);
  return u;
}

export async function getUser(db: Knex, id: number): Promise<User> {
  return toUser(await found(db, id));
}

/**
 * Changes a user's name, role and scope, password or access. Anything but a new name or an
 * unlock ends the user's sessions, so the change applies from the next request on.
 */
export async function changeUser(db: Knex, who: Principal, id: number, input: UserChange): Promise<User> {
  const parsed = userChange.safeParse(input);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const c = parsed.data;
  const before = await found(db, id);
  if (c.disabled && before.email === who.sub) throw new Conflict('cannot_disable_self', 'An admin cannot disable their own account');
  const role = c.role ?? before.role;
  const rescoped = c.role !== undefined || c.payer !== undefined || c.opd !== undefined;
  const changes: Partial<repo.UserRow> = {};
  if (c.name !== undefined) changes.name = c.name;
  if (rescoped) {
    const payer = c.payer !== undefined ? c.payer : role === 'payer' ? before.payer_npwrd : null;
    const opd = c.opd !== undefined ? c.opd : role === 'opd_admin' ? before.opd_code : null;
    Object.assign(changes, { role }, await scopeOf(db, role, payer, opd));
  }
  if (c.password !== undefined) changes.password_hash = await hashPassword(c.password);
  if (c.disabled !== undefined) changes.disabled_at = c.disabled ? (before.disabled_at ?? new Date()) : null;
  if (c.unlock) Object.assign(changes, { failed_sign_ins: 0, locked_until: null });
  await db.transaction(async (trx) => {
    await repo.updateUser(trx, id, changes);
    if (rescoped || c.password !== undefined || c.disabled) await revokeUserSessions(trx, id);
    const { password, ...asked } = c;
    await recordAudit(trx, {
      actor: actorOf(who),
      action: 'user.changed',
      entityType: 'user',
      entityId: id,
      before: { role: before.role, payer: before.payer_npwrd, opd: before.opd_code, disabled: before.disabled_at !== null },
      after: { ...asked, password_changed: password !== undefined },
    });
  });
  return getUser(db, id);
}
