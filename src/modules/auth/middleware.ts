import type { NextFunction, Request, Response } from 'express';
import { Forbidden, Unauthorized } from '../../errors';
import { authenticateSession, CsrfCheck, hasSessionCookie } from '../sessions/middleware';
import { Principal, Role, verifyToken } from './tokens';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/**
 * A bearer token (API clients; no CSRF check, since no browser attaches it on its own) or, without
 * an Authorization header, a browser's session cookie, CSRF-checked on every change.
 */
function authenticator(csrf: CsrfCheck) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.headers.authorization;
    if (!header && hasSessionCookie(req)) {
      authenticateSession(req, res, csrf).then(() => next(), next);
      return;
    }
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new Unauthorized();
    req.principal = verifyToken(match[1]);
    next();
  };
}

export const authenticate = authenticator('token');
/** The queue dashboard is a third-party page that cannot send Kasda's CSRF header. */
export const authenticateDashboard = authenticator('same-origin');

/** Route guard: the caller's role must be one of these. Scope (NPWRD, OPD) is applied in queries. */
export function allow(...roles: Role[]) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!req.principal) throw new Unauthorized();
    if (!roles.includes(req.principal.role)) throw new Forbidden();
    next();
  };
}

export function principal(req: Request): Principal {
  if (!req.principal) throw new Unauthorized();
  return req.principal;
}
