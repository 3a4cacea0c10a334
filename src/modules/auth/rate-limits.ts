import type { Request, RequestHandler } from 'express';
import rateLimit, { IncrementResponse, Options } from 'express-rate-limit';
import type Redis from 'ioredis';
import { RedisReply, RedisStore } from 'rate-limit-redis';
import { config } from '../../config';
import { AppError } from '../../errors';
import { logger } from '../../logger';

/**
 * Request limits per client IP, per token and for sign-in, each counted over a minute in Redis, so
 * every API process draws on the same budget. Over a limit answers 429 `rate_limited` in the API's
 * error shape, with RateLimit headers saying when to come back. When Redis cannot count, requests
 * pass unlimited and a warning is logged: an outage of the counters does not take the API down.
 */

/**
 * rate-limit-redis loads its Lua script once, when the limiter is made; an API started while Redis
 * was away (or before its connection was ready) would otherwise never count. Loads it again on use.
 */
class RedisCounters extends RedisStore {
  override async increment(key: string): Promise<IncrementResponse> {
    this.incrementScriptSha = this.incrementScriptSha.catch(() => this.loadIncrementScript());
    return super.increment(key);
  }
}

function limiter(redis: Redis, limit: number, what: string, identifier: string, extra: Partial<Options> = {}): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit,
    identifier,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: new RedisCounters({
      // Under the deployment's key prefix, so deployments (and test runs) sharing a Redis stay apart.
      prefix: `${config().QUEUE_PREFIX}:rl:${identifier}:`,
      sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
    }),
    passOnStoreError: true,
    logger: {
      warn: (err, msg) => logger.warn({ err, limiter: identifier }, msg),
      error: (err, msg) => logger.warn({ err, limiter: identifier }, msg),
    },
    handler: (_req, _res, next) => next(new AppError('rate_limited', `Too many ${what}; slow down and retry after the reset the RateLimit header gives`, 429)),
    ...extra,
  });
}

export interface RequestLimits {
  /** Requests per client address. */
  perIp: RequestHandler;
  /** After authentication: one client behind a shared address (or many addresses) is still held to its own budget. */
  perToken: RequestHandler;
  /** Password and API-key guesses per address, the sign-in and token endpoints drawing on one budget; wrong passwords also lock the account (see sessions). */
  signIn: RequestHandler;
}

/** The app's limiters, made once and counting in the app's Redis connection. */
export function requestLimits(redis: Redis): RequestLimits {
  return {
    perIp: limiter(redis, config().RATE_LIMIT_PER_MINUTE, 'requests from this address', 'ip'),
    perToken: limiter(redis, config().RATE_LIMIT_PER_TOKEN_PER_MINUTE, 'requests with this token', 'token', {
      keyGenerator: (req: Request) => {
        const p = req.principal!;
        return `${p.role}:${p.sub}:${p.npwrd ?? p.opd ?? ''}`;
      },
    }),
    signIn: limiter(redis, config().SIGN_IN_RATE_LIMIT_PER_MINUTE, 'sign-in attempts from this address', 'sign-in'),
  };
}
