import { Router } from 'express';
import { db } from '../../db';
import { allow, principal } from '../auth/middleware';
import { getPayer, importPayers, listPayers, registerPayer } from './service';

export const payerRoutes = Router();

const registrars = allow('opd_admin', 'finance', 'admin');

payerRoutes.post('/payers', registrars, async (req, res) => {
  const { status, payer } = await registerPayer(db(), principal(req), req.body);
  res.status(status === 'created' ? 201 : 200).location(`/api/v1/payers/${encodeURIComponent(payer.npwrd)}`).json({ ...payer, outcome: status });
});

payerRoutes.get('/payers', allow('opd_admin', 'finance', 'auditor', 'admin'), async (req, res) => {
  const q = req.query as Record<string, string | number | undefined>;
  res.json(await listPayers(db(), principal(req), { limit: q.limit === undefined ? undefined : Number(q.limit), cursor: q.cursor as string | undefined }));
});

payerRoutes.post('/payers/imports', registrars, async (req, res) => {
  res.json(await importPayers(db(), principal(req), req.body));
});

payerRoutes.get('/payers/:npwrd', allow('payer', 'opd_admin', 'finance', 'auditor', 'admin'), async (req, res) => {
  res.json(await getPayer(db(), principal(req), String(req.params.npwrd)));
});
