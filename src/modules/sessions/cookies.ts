import { parse } from 'cookie';
import type { CookieOptions, Request, Response } from 'express';
import { config } from '../../config';

export const SESSION_COOKIE = 'kasda_session';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * httpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Secure outside
 * development, and a browser-session cookie: the token inside expires on its own anyway.
 */
function options(): CookieOptions {
  const secure = config().COOKIE_SECURE === 'auto' ? config().NODE_ENV === 'production' : config().COOKIE_SECURE === 'true';
  return { httpOnly: true, sameSite: 'strict', secure, path: '/' };
}

export function readSessionCookie(req: Request): string | undefined {
  const header = req.headers.cookie;
  return header ? parse(header)[SESSION_COOKIE] : undefined;
}

export function setSessionCookie(res: Response, token: string): void {
  res.cookie(SESSION_COOKIE, token, options());
}

export function clearSessionCookie(res: Response): void {
  res.clearCookie(SESSION_COOKIE, options());
}
