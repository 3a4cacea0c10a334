import type { Request } from 'express';
import rateLimit, { Options } from 'express-rate-limit';
import { config } from '../../config';
import { AppError } from '../../errors';

/**
 * Request limits per client IP, per token and for sign-in, each counted over a minute in this
 * process's memory (a deployment with several API processes multiplies them by the count). Over a
 * limit answers 429 `rate_limited` in the API's error shape, with RateLimit headers saying when
 * to come back.
 */
function limiter(limit: number, what: string, extra: Partial<Options> = {}) {
  return rateLimit({
    windowMs: 60_000,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new AppError('rate_limited', `Too many ${what}; slow down and retry after the reset the RateLimit header gives`, 429)),
    ...extra,
  });
}

export const perIp = () => limiter(config().RATE_LIMIT_PER_MINUTE, 'requests from this address', { identifier: 'ip' });

/** After authentication: one client behind a shared address (or many addresses) is still held to its own budget. */
export const perToken = () =>
  limiter(config().RATE_LIMIT_PER_TOKEN_PER_MINUTE, 'requests with this token', {
    identifier: 'token',
    keyGenerator: (req: Request) => {
      const p = req.principal!;
      return `${p.role}:${p.sub}:${p.npwrd ?? p.opd ?? ''}`;
    },
  });

/** Password and API-key guesses per address; wrong passwords also lock the account (see sessions). */
export const signInAttempts = () => limiter(config().SIGN_IN_RATE_LIMIT_PER_MINUTE, 'sign-in attempts from this address', { identifier: 'sign-in' });
