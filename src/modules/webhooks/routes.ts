import { Router } from 'express';
import { db } from '../../db';
import { allow, principal } from '../auth/middleware';
import type { DeliveryStatus, WebhookEventType } from './schema';
import { deleteEndpoint, getEndpoint, listEvents, putEndpoint, resendEvent } from './service';

export const webhookRoutes = Router();

// A payer manages only its own endpoint: there is no id in the path, the NPWRD comes from the token.
const payer = allow('payer');

webhookRoutes.put('/webhook-endpoint', payer, async (req, res) => {
  const body = req.body as { url: string; secret?: string };
  res.json(await putEndpoint(db(), principal(req), { url: body.url, secret: body.secret }));
});

webhookRoutes.get('/webhook-endpoint', payer, async (req, res) => {
  res.json(await getEndpoint(db(), principal(req)));
});

webhookRoutes.delete('/webhook-endpoint', payer, async (req, res) => {
  await deleteEndpoint(db(), principal(req));
  res.status(204).end();
});

webhookRoutes.get('/webhook-events', allow('finance', 'auditor', 'admin'), async (req, res) => {
  const q = req.query as Record<string, string | number | undefined>;
  res.json(
    await listEvents(db(), {
      payer: q.payer as string | undefined,
      type: q.type as WebhookEventType | undefined,
      status: q.status as DeliveryStatus | undefined,
      limit: q.limit === undefined ? undefined : Number(q.limit),
      cursor: q.cursor as string | undefined,
    }),
  );
});

webhookRoutes.post('/webhook-events/:id/resend', allow('admin'), async (req, res) => {
  res.status(202).json(await resendEvent(db(), principal(req), String(req.params.id)));
});
