import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { config } from '../../config';
import { Unauthorized } from '../../errors';

export const ROLES = ['payer', 'finance', 'opd_admin', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as the token says. Payers carry their NPWRD, OPD admins their OPD code. */
export interface Principal {
  sub: string;
  role: Role;
  npwrd?: string;
  opd?: string;
}

const claims = z.discriminatedUnion('role', [
  z.object({ sub: z.string().min(1), role: z.literal('payer'), npwrd: z.string().min(1) }),
  z.object({ sub: z.string().min(1), role: z.literal('opd_admin'), opd: z.string().min(1) }),
  z.object({ sub: z.string().min(1), role: z.enum(['finance', 'auditor', 'admin']) }),
]);

export function signToken(p: Principal, expiresIn: jwt.SignOptions['expiresIn'] = '12h'): string {
  const body = claims.parse(p);
  return jwt.sign(body, config().JWT_SECRET, { algorithm: 'HS256', issuer: config().JWT_ISSUER, expiresIn });
}

export function verifyToken(token: string): Principal {
  let decoded: unknown;
  try {
    decoded = jwt.verify(token, config().JWT_SECRET, { algorithms: ['HS256'], issuer: config().JWT_ISSUER });
  } catch (e) {
    throw new Unauthorized(`Invalid token: ${(e as Error).message}`);
  }
  const parsed = claims.safeParse(decoded);
  if (!parsed.success) throw new Unauthorized('Token claims are not valid for any role');
  return parsed.data;
}
