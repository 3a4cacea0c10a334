import type { Job } from 'bullmq';
import type { Knex } from 'knex';
import { AssessJob, runAssessment } from '../src/modules/assessments/service';

/** Runs an assessment. Safe to repeat: existing bills are skipped by their unique subject key. */
export function assessProcessor(db: Knex) {
  return async (job: Job<AssessJob>): Promise<void> => {
    await runAssessment(db, job.data.assessmentId);
  };
}
