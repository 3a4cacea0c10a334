import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { Router } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Knex } from 'knex';
import pinoHttp from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import YAML from 'yaml';
import { listChannels } from './banks/registry';
import { config } from './config';
import { AppError } from './errors';
import { errorHandler } from './http/errors';
import { logger } from './logger';
import { httpDuration, queueDepth, registry } from './metrics';
import { assessmentRoutes } from './modules/assessments/routes';
import { allow, authenticate, authenticateDashboard } from './modules/auth/middleware';
import { requestLimits } from './modules/auth/rate-limits';
import { billRoutes } from './modules/bills/routes';
import { callbackRoutes } from './modules/payments/callback-routes';
import { paymentRoutes } from './modules/payments/routes';
import { interestRoutes } from './modules/interest/routes';
import { levyTypeRoutes } from './modules/levy-types/routes';
import { oneOffBillRoutes } from './modules/bills/one-off-routes';
import { CSV_BODY_LIMIT } from './modules/imports/csv';
import { objectRoutes } from './modules/objects/routes';
import { payerRoutes } from './modules/payers/routes';
import { reconciliationRoutes, statementUploadRoutes } from './modules/reconciliation/routes';
import { reportRoutes } from './modules/reports/routes';
import { treasuryRoutes } from './modules/treasury/routes';
import { sessionRoutes, signInRoutes } from './modules/sessions/routes';
import { userRoutes } from './modules/users/routes';
import { securityHeaders, webPages } from './modules/web/pages';
import { webhookRoutes } from './modules/webhooks/routes';
import { queue, QUEUES } from './queues';
import Redis from 'ioredis';

/** Observes each request's duration once, by route and status. */
function timeRequests(req: express.Request, res: express.Response, next: express.NextFunction): void {
  if (res.locals.timed) return next();
  res.locals.timed = true;
  const end = httpDuration.startTimer();
  res.on('finish', () => {
    const route = req.route ? `${req.baseUrl}${req.route.path}` : 'unmatched';
    end({ method: req.method, route, status: String(res.statusCode) });
  });
  next();
}

export const OPENAPI_PATH = path.join(__dirname, '..', 'openapi', 'openapi.yaml');

export interface AppDeps {
  db: Knex;
  redis: Redis;
}

/** The HTTP API: thin routes over module services, the contract enforced, errors in one shape. */
export async function createApp({ db, redis }: AppDeps): Promise<express.Express> {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config().TRUST_PROXY);
  app.set('query parser', 'extended');

  // Banks' payment notifications come first: the browser security headers and the per-request
  // access log below cost more CPU than the intake itself at a bank's rate, and a bank needs
  // neither (the inbox and the rejection log are the record of every callback). Timed like the rest.
  app.use('/api/v1/bank-callbacks', timeRequests, callbackRoutes);

  app.use(securityHeaders());

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : crypto.randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );
  app.use(timeRequests);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const [database, cache] = await Promise.all([
      db.raw('select 1').then(() => 'ok' as const, () => 'error' as const),
      redis.ping().then(() => 'ok' as const, () => 'error' as const),
    ]);
    const ok = database === 'ok' && cache === 'ok';
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks: { database, redis: cache } });
  });

  const channels = await listChannels(db);
  const queueNames = [QUEUES.assessments, QUEUES.maintenance, QUEUES.payments, QUEUES.receipts, QUEUES.webhooks, ...channels.map((c) => QUEUES.issueVa(c.code))];
  app.get('/metrics', async (_req, res) => {
    await Promise.all(
      queueNames.map(async (name) => {
        const counts = await queue(name).getJobCounts('waiting', 'active', 'delayed', 'failed').catch(() => ({}));
        for (const [state, n] of Object.entries(counts)) queueDepth.labels(name, state).set(n as number);
      }),
    );
    res.type(registry.contentType).send(await registry.metrics());
  });

  const spec = YAML.parse(fs.readFileSync(OPENAPI_PATH, 'utf8'));
  app.use('/api/docs', swaggerUi.serve, swaggerUi.setup(spec));

  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({ queues: queueNames.map((n) => new BullMQAdapter(queue(n))), serverAdapter: board });
  app.use('/admin/queues', authenticateDashboard, allow('admin'), board.getRouter());

  // Request limits count in Redis, shared by every API process.
  const limits = requestLimits(redis);

  // Streams its body: ahead of the API router's body parsers (see the route).
  app.use('/api/v1/reconciliation/statements', statementUploadRoutes(limits));

  const api = Router();
  api.use(limits.perIp);
  api.use(express.json({ limit: config().BODY_LIMIT, strict: true }));
  api.use(express.text({ type: 'text/csv', limit: CSV_BODY_LIMIT }));
  api.use(signInRoutes(limits));
  api.use(authenticate);
  api.use(limits.perToken);
  api.use(
    OpenApiValidator.middleware({
      apiSpec: spec,
      validateRequests: { allowUnknownQueryParameters: false, coerceTypes: false },
      validateResponses: config().NODE_ENV === 'test',
      validateSecurity: false,
      ignoreUndocumented: false,
    }),
  );
  api.use(levyTypeRoutes, assessmentRoutes, billRoutes, paymentRoutes, webhookRoutes, interestRoutes);
  api.use(oneOffBillRoutes, payerRoutes, objectRoutes);
  api.use(treasuryRoutes, reportRoutes);
  api.use(reconciliationRoutes);
  api.use(sessionRoutes, userRoutes);
  app.use('/api/v1', api);
  app.use(webPages());

  app.use((req, _res, next) => next(new AppError('not_found', `No route ${req.method} ${req.path}`, 404)));
  app.use(errorHandler);
  return app;
}
