import { Router } from 'express';
import { db } from '../../db';
import { allow, principal } from '../auth/middleware';
import { renderBillDocument } from '../documents/service';
import { getBill, listBills, retryIssue } from './service';
import type { BillStatus } from './states';

export const billRoutes = Router();

const readers = allow('payer', 'finance', 'opd_admin', 'auditor', 'admin');

billRoutes.get('/bills', readers, async (req, res) => {
  const q = req.query as Record<string, string | number | undefined>;
  res.json(
    await listBills(db(), principal(req), {
      status: q.status as BillStatus | undefined,
      payer: q.payer as string | undefined,
      levy_type: q.levy_type as string | undefined,
      period: q.period as string | undefined,
      limit: q.limit === undefined ? undefined : Number(q.limit),
      cursor: q.cursor as string | undefined,
    }),
  );
});

billRoutes.get('/bills/:bill_no', readers, async (req, res) => {
  res.json(await getBill(db(), principal(req), String(req.params.bill_no)));
});

billRoutes.get('/bills/:bill_no/skrd.pdf', readers, async (req, res) => {
  const { pdf, fileName } = await renderBillDocument(db(), principal(req), String(req.params.bill_no));
  res.type('application/pdf').setHeader('Content-Disposition', `inline; filename="${fileName}"`);
  res.send(pdf);
});

billRoutes.post('/bills/:bill_no/issue', allow('finance', 'opd_admin', 'admin'), async (req, res) => {
  res.status(202).json(await retryIssue(db(), principal(req), String(req.params.bill_no)));
});
