import express, { Request, Router } from 'express';
import { z } from 'zod';
import { db } from '../../db';
import { AppError, NotFound } from '../../errors';
import { allow, principal } from '../auth/middleware';
import type { RequestLimits } from '../auth/rate-limits';
import { createApiKey, exchangeApiKey, InvalidClient, listApiKeys, revokeApiKey } from './api-keys';
import { clearSessionCookie, setSessionCookie } from './cookies';
import { currentSession, signIn, signOut } from './service';

function parsed<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    const errors = r.error.issues.map((i) => ({ path: `/body/${i.path.join('/')}`, message: i.message }));
    throw new AppError('validation_failed', `body.${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`, 400, { errors });
  }
  return r.data;
}

const signInBody = z.strictObject({ email: z.string().min(3).max(200), password: z.string().min(1).max(200) });
const tokenBody = z.strictObject({
  grant_type: z.literal('client_credentials'),
  client_id: z.string().min(1).max(100).optional(),
  client_secret: z.string().min(1).max(200).optional(),
});

/** OAuth 2.0 lets a client send its credentials as HTTP Basic or in the body; both are taken. */
function clientCredentials(req: Request, body: z.infer<typeof tokenBody>): { id: string; secret: string } {
  const basic = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  if (basic) {
    const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    if (id && secret) return { id: decodeURIComponent(id), secret: decodeURIComponent(secret) };
  } else if (body.client_id && body.client_secret) return { id: body.client_id, secret: body.client_secret };
  throw new InvalidClient();
}

/**
 * Routes that take no token: they hand tokens out. Mounted before authentication, so they check
 * their bodies here (the contract documents them like every other route). Both draw on the app's
 * sign-in budget.
 */
export function signInRoutes(limits: RequestLimits): Router {
  const routes = Router();
  routes.post('/auth/sign-in', limits.signIn, async (req, res) => {
    const body = parsed(signInBody, req.body);
    const s = await signIn(db(), { email: body.email, password: body.password, ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null });
    setSessionCookie(res, s.token);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ user: s.user, csrf_token: s.csrfToken, expires_at: s.expiresAt.toISOString() });
  });
  routes.post('/auth/token', express.urlencoded({ extended: false, limit: '4kb' }), limits.signIn, async (req, res) => {
    const { id, secret } = clientCredentials(req, parsed(tokenBody, req.body));
    res.setHeader('Cache-Control', 'no-store');
    res.json(await exchangeApiKey(db(), id, secret));
  });
  return routes;
}

/** Routes for a signed-in caller. */
export const sessionRoutes = Router();

function sessionOf(req: Request): string {
  if (!req.sessionId) throw new NotFound('session_not_found', 'This request was made with a bearer token, not a signed-in session');
  return req.sessionId;
}

sessionRoutes.get('/auth/session', async (req, res) => {
  const s = await currentSession(db(), sessionOf(req));
  res.setHeader('Cache-Control', 'no-store');
  res.json({ user: s.user, csrf_token: s.csrfToken, expires_at: s.expiresAt.toISOString() });
});

sessionRoutes.post('/auth/sign-out', async (req, res) => {
  await signOut(db(), sessionOf(req));
  clearSessionCookie(res);
  res.status(204).end();
});

const payer = allow('payer');

sessionRoutes.get('/api-keys', payer, async (req, res) => {
  res.json({ data: await listApiKeys(db(), principal(req)) });
});

sessionRoutes.post('/api-keys', payer, async (req, res) => {
  const key = await createApiKey(db(), principal(req), (req.body as { name: string }).name);
  res.setHeader('Cache-Control', 'no-store');
  res.status(201).json(key);
});

sessionRoutes.delete('/api-keys/:id', payer, async (req, res) => {
  await revokeApiKey(db(), principal(req), Number(req.params.id));
  res.status(204).end();
});
