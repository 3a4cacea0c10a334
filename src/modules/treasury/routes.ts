import { Router } from 'express';
import { db } from '../../db';
import { allow, principal } from '../auth/middleware';
import { generateSts, getSts, listSts, stsPdf } from './service';

export const treasuryRoutes = Router();

const readers = allow('finance', 'opd_admin', 'auditor', 'admin');

treasuryRoutes.post('/treasury/sts', allow('finance', 'admin'), async (req, res) => {
  const who = principal(req);
  const run = await generateSts(db(), { date: req.body.date, channel: req.body.channel }, `${who.role}:${who.sub}`);
  res.status(run.created.length ? 201 : 200).json(run);
});

treasuryRoutes.get('/treasury/sts', readers, async (req, res) => {
  const q = req.query as Record<string, string | undefined>;
  res.json(await listSts(db(), principal(req), { from: q.from, to: q.to, channel: q.channel }));
});

// Before '/treasury/sts/:sts_no', which would otherwise take "….pdf" as the number.
treasuryRoutes.get('/treasury/sts/:sts_no.pdf', readers, async (req, res) => {
  const { pdf, fileName } = await stsPdf(db(), principal(req), String(req.params.sts_no));
  res.type('application/pdf').setHeader('Content-Disposition', `inline; filename="${fileName}"`);
  res.send(pdf);
});

treasuryRoutes.get('/treasury/sts/:sts_no', readers, async (req, res) => {
  res.json(await getSts(db(), principal(req), String(req.params.sts_no)));
});
