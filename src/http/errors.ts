import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors';

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  errors?: Array<{ path?: string; message?: string; errorCode?: string }>;
  message?: string;
}

/** Maps anything thrown to one error body; only AppErrors and known client errors say what happened. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = (err ?? {}) as HttpishError;
  const status = e.status ?? e.statusCode;
  switch (e.type) {
    case 'entity.parse.failed':
      return new AppError('malformed_json', 'The request body is not valid JSON', 400);
    case 'entity.too.large':
      return new AppError('payload_too_large', 'The request body is larger than this API accepts', 413);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_encoding', e.message ?? 'Unsupported body encoding', 415);
  }
  if (Array.isArray(e.errors) && status && status >= 400 && status < 500) {
    // express-openapi-validator: the request does not match the contract.
    const details = { errors: e.errors.map((x) => ({ path: x.path, message: x.message })) };
    const code = status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : status === 415 ? 'unsupported_media_type' : 'validation_failed';
    const first = e.errors[0];
    const message = first?.path ? `${first.path.replace(/^\/?(body|query|params|headers)\//, '$1.')}: ${first.message}` : (e.message ?? 'Invalid request');
    return new AppError(code, message, status, details);
  }
  if (status && status >= 400 && status < 500) return new AppError('bad_request', e.message ?? 'Bad request', status);
  return new AppError('internal_error', 'Something went wrong on our side; it has been logged', 500);
}

export function errorHandler(err: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(err);
  const appError = toAppError(err);
  const log = req.log;
  if (appError.status >= 500) log?.error({ err }, 'request failed');
  else log?.warn({ code: appError.code, reason: appError.message, details: appError.details }, 'request rejected');
  res.status(appError.status).json({
    error: {
      code: appError.code,
      message: appError.message,
      ...(appError.details ? { details: appError.details } : {}),
      request_id: String(req.id ?? ''),
    },
  });
}
