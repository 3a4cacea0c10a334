import { Router } from 'express';
import { db } from '../../db';
import { allow, principal } from '../auth/middleware';
import { listBillPayments, listNotifications } from './service';
import { receiptFor } from './receipts';

export const paymentRoutes = Router();

const readers = allow('payer', 'finance', 'opd_admin', 'auditor', 'admin');

paymentRoutes.get('/payments/:id/receipt.pdf', readers, async (req, res) => {
  const { pdf, fileName } = await receiptFor(db(), principal(req), { paymentId: Number(req.params.id) });
  res.type('application/pdf').setHeader('Content-Disposition', `inline; filename="${fileName}"`);
  res.send(pdf);
});

paymentRoutes.get('/bills/:bill_no/receipt.pdf', readers, async (req, res) => {
  const { pdf, fileName } = await receiptFor(db(), principal(req), { billNo: String(req.params.bill_no) });
  res.type('application/pdf').setHeader('Content-Disposition', `inline; filename="${fileName}"`);
  res.send(pdf);
});

paymentRoutes.get('/bills/:bill_no/payments', readers, async (req, res) => {
  res.json({ data: await listBillPayments(db(), principal(req), String(req.params.bill_no)) });
});

paymentRoutes.get('/bank-notifications', allow('finance', 'auditor', 'admin'), async (req, res) => {
  const q = req.query as Record<string, string | undefined>;
  res.json(await listNotifications(db(), { status: q.status, limit: q.limit ? Number(q.limit) : undefined, cursor: q.cursor }));
});
