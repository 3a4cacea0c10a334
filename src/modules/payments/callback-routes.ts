import express, { NextFunction, Request, Response, Router } from 'express';
import { db } from '../../db';
import { logger } from '../../logger';
import { receiveCallback } from './intake';

/**
 * Where banks post payment notifications. Outside the JWT-protected API and its JSON parser: the
 * body is read raw (signatures cover exact bytes), and every answer is in the bank's own format.
 */
export const callbackRoutes = Router();

const CALLBACK_BODY_LIMIT = '64kb';

function sourceIp(req: Request): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

callbackRoutes.post(
  '/:channel',
  express.raw({ type: () => true, limit: CALLBACK_BODY_LIMIT }),
  async (req: Request, res: Response) => {
    const answer = await receiveCallback(db(), String(req.params.channel), {
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      headers: req.headers,
      method: req.method,
      path: req.originalUrl,
      sourceIp: sourceIp(req),
    });
    if (answer.headers) res.set(answer.headers);
    res.status(answer.status).json(answer.body);
  },
);

// A body too large or unreadable never reaches the handler: answer it here, still as the bank expects.
callbackRoutes.use((err: { type?: string; message?: string }, req: Request, res: Response, _next: NextFunction) => {
  const reason = err.type === 'entity.too.large' ? 'body too large' : 'unreadable body';
  logger.warn({ channel: req.params.channel, source_ip: sourceIp(req), reason }, 'bank callback rejected');
  res.status(200).json({ status: '999', message: reason });
});
