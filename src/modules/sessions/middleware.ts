import type { Request, Response } from 'express';
import { db } from '../../db';
import { AppError } from '../../errors';
import { CSRF_HEADER, readSessionCookie, setSessionCookie } from './cookies';
import { csrfTokenMatches, verifySessionToken } from './service';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set when the caller is a browser signed in with the session cookie. */
    sessionId?: string;
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * How a state-changing cookie request proves it comes from Kasda's own pages: `token`, the
 * session's CSRF token in the X-CSRF-Token header (the pages send it); `same-origin`, the
 * browser's own Sec-Fetch-Site header, for the third-party queue dashboard that cannot send ours.
 */
export type CsrfCheck = 'token' | 'same-origin';

export class CsrfFailed extends AppError {
  constructor() {
    super('csrf_failed', 'A signed-in page must send its X-CSRF-Token with every change', 403);
  }
}

export function hasSessionCookie(req: Request): boolean {
  return readSessionCookie(req) !== undefined;
}

export async function authenticateSession(req: Request, res: Response, csrf: CsrfCheck): Promise<void> {
  const session = await verifySessionToken(db(), readSessionCookie(req)!);
  if (!SAFE.has(req.method)) {
    const ok = csrf === 'token' ? csrfTokenMatches(session.sessionId, req.get(CSRF_HEADER)) : req.get('sec-fetch-site') === 'same-origin';
    if (!ok) throw new CsrfFailed();
  }
  if (session.renewed) setSessionCookie(res, session.renewed);
  req.principal = session.principal;
  req.sessionId = session.sessionId;
}
