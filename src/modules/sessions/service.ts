import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Knex } from 'knex';
import { config } from '../../config';
import { AppError, Unauthorized } from '../../errors';
import { logger } from '../../logger';
import { Principal, verifyToken } from '../auth/tokens';
import { decoyHash, verifyPassword } from '../users/passwords';
import * as users from '../users/repo';
import { principalOf, toUser, User } from '../users/service';
import * as repo from './repo';

/**
 * Browser sign-in. A session is a row (so sign-out and an admin's change end it at once) and the
 * cookie holds a short-lived JWT with the same claims as a bearer token plus the session id
 * (`jti`). The token is renewed while the session lasts, so an idle browser is signed out after
 * SESSION_TOKEN_MINUTES and any browser after SESSION_HOURS.
 */
export interface SignedIn {
  user: User;
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

export class InvalidCredentials extends AppError {
  constructor(attemptsLeft?: number) {
    super('invalid_credentials', 'The e-mail address or password is wrong', 401, attemptsLeft === undefined ? undefined : { attempts_left: attemptsLeft });
  }
}

export class AccountLocked extends AppError {
  constructor(until: Date) {
    super('account_locked', `Too many wrong passwords; the account is locked until ${until.toISOString()}`, 423, { locked_until: until.toISOString() });
  }
}

function sessionToken(p: Principal, sessionId: string, expiresAt: Date): string {
  const seconds = Math.min(config().SESSION_TOKEN_MINUTES * 60, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  return jwt.sign({ ...p }, config().JWT_SECRET, { algorithm: 'HS256', issuer: config().JWT_ISSUER, expiresIn: seconds, jwtid: sessionId });
}

/** The CSRF token of a session: an HMAC of its id, so it needs no storage and dies with the session. */
export function csrfTokenFor(sessionId: string): string {
  return crypto.createHmac('sha256', config().JWT_SECRET).update(`csrf:${sessionId}`).digest('base64url');
}

export function csrfTokenMatches(sessionId: string, given: string | undefined): boolean {
  if (!given) return false;
  const expected = Buffer.from(csrfTokenFor(sessionId));
  const actual = Buffer.from(given);
  return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
}

/**
 * Checks the password; counts a wrong one, locking the account at SIGN_IN_LOCK_AFTER in a row. A
 * locked account is refused before its password is looked at, so guessing stops while it lasts.
 */
export async function signIn(db: Knex, input: { email: string; password: string; ip: string | null; userAgent: string | null }): Promise<SignedIn> {
  const user = await users.findUserByEmail(db, input.email.trim());
  if (!user || user.disabled_at) {
    await verifyPassword(input.password, await decoyHash());
    throw new InvalidCredentials();
  }
  if (user.locked_until && user.locked_until.getTime() > Date.now()) throw new AccountLocked(user.locked_until);
  if (!(await verifyPassword(input.password, user.password_hash))) {
    const limit = config().SIGN_IN_LOCK_AFTER;
    // One statement, so concurrent wrong guesses are all counted; a lapsed lock starts a new count.
    const [after] = await db('users')
      .where({ id: user.id })
      .update({
        failed_sign_ins: db.raw('CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 1 ELSE failed_sign_ins + 1 END'),
        locked_until: db.raw(
          `CASE WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 1 ELSE failed_sign_ins + 1 END) >= ?
            THEN now() + make_interval(mins => ?) END`,
          [limit, config().SIGN_IN_LOCK_MINUTES],
        ),
      })
      .returning(['failed_sign_ins', 'locked_until']);
    if (after.locked_until) {
      logger.warn({ user: user.id, ip: input.ip }, 'account locked after repeated wrong passwords');
      throw new AccountLocked(after.locked_until);
    }
    throw new InvalidCredentials(limit - after.failed_sign_ins);
  }
  await users.updateUser(db, user.id, { failed_sign_ins: 0, locked_until: null, last_sign_in_at: new Date() });
  const session = await repo.insertSession(db, {
    user_id: user.id,
    expires_at: new Date(Date.now() + config().SESSION_HOURS * 3600_000),
    ip: input.ip,
    user_agent: input.userAgent?.slice(0, 500) ?? null,
  });
  return {
    user: toUser((await users.findUser(db, user.id))!),
    token: sessionToken(principalOf(user), session.id, session.expires_at),
    csrfToken: csrfTokenFor(session.id),
    expiresAt: session.expires_at,
  };
}

export interface VerifiedSession {
  principal: Principal;
  sessionId: string;
  /** A fresh token when the one presented is past half its life. */
  renewed?: string;
}

export async function verifySessionToken(db: Knex, token: string): Promise<VerifiedSession> {
  const principal = verifyToken(token);
  const { jti, iat, exp } = jwt.decode(token) as jwt.JwtPayload;
  if (!jti || !iat || !exp) throw new Unauthorized('This token is not a session token');
  const session = await repo.findLiveSession(db, jti);
  if (!session) throw new Unauthorized('The session has ended; sign in again');
  const now = Date.now() / 1000;
  const renewed = now - iat > (exp - iat) / 2 ? sessionToken(principal, session.id, session.expires_at) : undefined;
  return { principal, sessionId: session.id, renewed };
}

/** The signed-in user of a live session, for the page that starts up. */
export async function currentSession(db: Knex, sessionId: string): Promise<{ user: User; csrfToken: string; expiresAt: Date }> {
  const session = await repo.findLiveSession(db, sessionId);
  const user = session && (await users.findUser(db, session.user_id));
  if (!session || !user) throw new Unauthorized('The session has ended; sign in again');
  return { user: toUser(user), csrfToken: csrfTokenFor(session.id), expiresAt: session.expires_at };
}

export function signOut(db: Knex, sessionId: string): Promise<void> {
  return repo.revokeSession(db, sessionId);
}
