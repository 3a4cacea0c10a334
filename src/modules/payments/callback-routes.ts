import express, { NextFunction, Request, Response, Router } from 'express';
import { db } from '../../db';
import { logger } from '../../logger';
import type { CallbackAnswer, CallbackRequest } from '../../banks/types';
import { issueBankToken, receiveCallback } from './intake';

/**
 * Where banks post payment notifications. Outside the JWT-protected API and its JSON parser: the
 * body is read raw (signatures cover exact bytes), and every answer is in the bank's own format.
 */
export const callbackRoutes = Router();

const CALLBACK_BODY_LIMIT = '64kb';

function sourceIp(req: Request): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

function callbackRequest(req: Request): CallbackRequest {
  return {
    rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    headers: req.headers,
    method: req.method,
    path: req.originalUrl,
    sourceIp: sourceIp(req),
  };
}

// Written directly: a bank has no use for the ETag that res.json would hash for every answer.
function send(res: Response, answer: CallbackAnswer) {
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, { ...answer.headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const rawBody = express.raw({ type: () => true, limit: CALLBACK_BODY_LIMIT });

// BNI eCollection posts to one URL per channel; SNAP banks post to the standard service path.
for (const route of ['/:channel', '/:channel/v1.0/transfer-va/payment']) {
  callbackRoutes.post(route, rawBody, async (req: Request, res: Response) => {
    send(res, await receiveCallback(db(), String(req.params.channel), callbackRequest(req)));
  });
}

// A SNAP bank that first asks us for an access token.
callbackRoutes.post('/:channel/v1.0/access-token/b2b', rawBody, async (req: Request, res: Response) => {
  send(res, await issueBankToken(db(), String(req.params.channel), callbackRequest(req)));
});

// A body too large or unreadable never reaches the handler: answer it here, still as the bank expects.
callbackRoutes.use((err: { type?: string; message?: string }, req: Request, res: Response, _next: NextFunction) => {
  const reason = err.type === 'entity.too.large' ? 'body too large' : 'unreadable body';
  logger.warn({ channel: req.params.channel, source_ip: sourceIp(req), reason }, 'bank callback rejected');
  res.status(200).json({ status: '999', message: reason });
});
