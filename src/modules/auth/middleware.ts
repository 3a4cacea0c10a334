import type { NextFunction, Request, Response } from 'express';
import { Forbidden, Unauthorized } from '../../errors';
import { Principal, Role, verifyToken } from './tokens';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export function authenticate(req: Request, _res: Response, next: NextFunction): void {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw new Unauthorized();
  req.principal = verifyToken(match[1]);
  next();
}

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
