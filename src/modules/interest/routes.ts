import { Router } from 'express';
import { db } from '../../db';
import { AppError } from '../../errors';
import { isCalendarDate, jakartaDate } from '../../lib/time';
import { allow, principal } from '../auth/middleware';
import { pauseDunning } from './pause';
import { runDunning } from './service';

export const interestRoutes = Router();

interestRoutes.post('/interest/runs', allow('finance', 'admin'), async (req, res) => {
  const asOf: string = req.body.as_of ?? jakartaDate();
  if (!isCalendarDate(asOf)) throw new AppError('invalid_date', `as_of ${asOf} is not a calendar date`, 400);
  const r = await runDunning(db(), asOf);
  res.json({
    as_of: r.asOf,
    reminders: r.reminders,
    warnings: r.warnings,
    strd_created: r.strdCreated,
    repriced: r.repriced,
    paused: r.paused,
    failures: r.failures,
  });
});

interestRoutes.put('/bills/:bill_no/dunning-pause', allow('finance', 'admin'), async (req, res) => {
  res.json(await pauseDunning(db(), principal(req), String(req.params.bill_no), req.body.reason ?? null));
});
