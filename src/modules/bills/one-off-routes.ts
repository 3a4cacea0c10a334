import { Router } from 'express';
import { db } from '../../db';
import { allow, principal } from '../auth/middleware';
import { createOneOffBill } from './one-off';

export const oneOffBillRoutes = Router();

oneOffBillRoutes.post('/bills', allow('opd_admin', 'admin'), async (req, res) => {
  const key = req.get('Idempotency-Key');
  const { status, body, replayed } = await createOneOffBill(db(), principal(req), req.body, key);
  if (replayed) res.setHeader('Idempotent-Replayed', 'true');
  const billNo = (body as { bill_no?: string }).bill_no;
  if (billNo) res.location(`/api/v1/bills/${billNo}`);
  res.status(status).json(body);
});
