import { Router } from 'express';
import { db } from '../../db';
import { allow, principal } from '../auth/middleware';
import { importObjects, listObjects, registerObject } from './service';

export const objectRoutes = Router();

const registrars = allow('opd_admin', 'finance', 'admin');

objectRoutes.post('/objects', registrars, async (req, res) => {
  const { status, object } = await registerObject(db(), principal(req), req.body);
  res.status(status === 'created' ? 201 : 200).json({ ...object, outcome: status });
});

objectRoutes.get('/objects', allow('opd_admin', 'finance', 'auditor', 'admin'), async (req, res) => {
  const q = req.query as Record<string, string | number | undefined>;
  res.json(
    await listObjects(db(), principal(req), {
      levy_type: q.levy_type as string | undefined,
      payer: q.payer as string | undefined,
      limit: q.limit === undefined ? undefined : Number(q.limit),
      cursor: q.cursor as string | undefined,
    }),
  );
});

objectRoutes.post('/objects/imports', registrars, async (req, res) => {
  res.json(await importObjects(db(), principal(req), String(req.query.levy_type), req.body));
});
