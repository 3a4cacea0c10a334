import { Router } from 'express';
import { db } from '../../db';
import { allow, principal } from '../auth/middleware';
import { getAssessment, requestAssessment } from './service';

export const assessmentRoutes = Router();

assessmentRoutes.post('/assessments', allow('finance', 'opd_admin', 'admin'), async (req, res) => {
  const run = await requestAssessment(db(), principal(req), req.body);
  res.status(202).location(`/api/v1/assessments/${run.id}`).json(run);
});

assessmentRoutes.get('/assessments/:id', allow('finance', 'opd_admin', 'auditor', 'admin'), async (req, res) => {
  res.json(await getAssessment(db(), principal(req), String(req.params.id)));
});
