import { Router } from 'express';
import { db } from '../../db';
import { allow, principal } from '../auth/middleware';
import { changeLevyType, createLevyType, getLevyType, listLevyTypes, previewBills } from './service';

export const levyTypeRoutes = Router();

const definers = allow('opd_admin', 'admin');

levyTypeRoutes.get('/levy-types', allow('finance', 'opd_admin', 'auditor', 'admin', 'payer'), async (req, res) => {
  res.json({ data: await listLevyTypes(db(), principal(req)) });
});

levyTypeRoutes.post('/levy-types', definers, async (req, res) => {
  const levy = await createLevyType(db(), principal(req), req.body);
  res.status(201).location(`/api/v1/levy-types/${levy.code}`).json(levy);
});

levyTypeRoutes.get('/levy-types/:code', allow('finance', 'opd_admin', 'auditor', 'admin'), async (req, res) => {
  res.json(await getLevyType(db(), principal(req), String(req.params.code)));
});

levyTypeRoutes.patch('/levy-types/:code', definers, async (req, res) => {
  const { outcome, version, levy_type } = await changeLevyType(db(), principal(req), String(req.params.code), req.body);
  res.json({ outcome, version, levy_type });
});

levyTypeRoutes.post('/levy-types/:code/preview', allow('finance', 'opd_admin', 'admin'), async (req, res) => {
  res.json(await previewBills(db(), principal(req), String(req.params.code), req.body));
});
