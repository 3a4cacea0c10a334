import { Router } from 'express';
import { db } from '../../db';
import { allow, principal } from '../auth/middleware';
import { arrearsAgeing } from './arrears-ageing';
import { dailyRecap } from './daily-recap';
import { payerObjects } from './payer-objects';
import { realisation } from './realisation';
import { sendReport } from './respond';
import { setTarget } from './targets';

export const reportRoutes = Router();

// Payers never see reports; an OPD admin sees its own OPD's figures (the scope is in each query).
const readers = allow('finance', 'opd_admin', 'auditor', 'admin');

type Query = Record<string, string | undefined>;

reportRoutes.get('/reports/daily-recap', readers, async (req, res) => {
  const q = req.query as Query;
  await sendReport(req, res, await dailyRecap(db(), principal(req), { from: q.from, to: q.to }));
});

reportRoutes.get('/reports/realisation', readers, async (req, res) => {
  const q = req.query as Query;
  const year = q.year === undefined ? undefined : Number(q.year);
  await sendReport(req, res, await realisation(db(), principal(req), { year, from: q.from, to: q.to, levy_type: q.levy_type }));
});

reportRoutes.get('/reports/arrears-ageing', readers, async (req, res) => {
  const q = req.query as Query;
  await sendReport(req, res, await arrearsAgeing(db(), principal(req), { as_of: q.as_of, from: q.from, to: q.to, levy_type: q.levy_type }));
});

reportRoutes.get('/reports/payer-objects', readers, async (req, res) => {
  const q = req.query as Query;
  await sendReport(
    req,
    res,
    await payerObjects(db(), principal(req), { levy_type: String(q.levy_type), by: q.by, period: q.period, from: q.from, to: q.to }),
  );
});

reportRoutes.put('/targets/:levy_type/:year', allow('finance', 'admin'), async (req, res) => {
  res.json(await setTarget(db(), principal(req), String(req.params.levy_type), Number(req.params.year), req.body.amount));
});
