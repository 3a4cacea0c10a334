import { Router } from 'express';
import { db } from '../../db';
import { allow, principal } from '../auth/middleware';
import { listLevyTypes } from './service';

export const levyTypeRoutes = Router();

levyTypeRoutes.get('/levy-types', allow('finance', 'opd_admin', 'auditor', 'admin', 'payer'), async (req, res) => {
  res.json({ data: await listLevyTypes(db(), principal(req)) });
});
