import axios from 'axios';
import { Job, UnrecoverableError, type BackoffStrategy, type WorkerOptions } from 'bullmq';
import type { Knex } from 'knex';
import { Attempt, beginAttempt, DeliverWebhookJob, finishAttempt, retryDelayMs } from '../src/modules/webhooks/service';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from '../src/modules/webhooks/signing';

const DELIVERY_TIMEOUT_MS = 10_000;
const USER_AGENT = 'Kasda-Webhooks/1.0';

/** A failed attempt that will be tried again, carrying the wait the database already records. */
class DeliveryRetry extends Error {
  constructor(
    message: string,
    readonly retryInMs: number,
  ) {
    super(message);
    this.name = 'DeliveryRetry';
  }
}

/**
 * BullMQ waits what the attempt recorded as `next_attempt_at`, so the queue and the database agree
 * on when the next try is; other errors (the database away) follow the same schedule.
 */
const webhookBackoff: BackoffStrategy = (attemptsMade, _type, err) =>
  err instanceof DeliveryRetry ? err.retryInMs : retryDelayMs(attemptsMade);

export const webhookWorkerOptions: Pick<WorkerOptions, 'concurrency' | 'settings'> = {
  concurrency: 16,
  settings: { backoffStrategy: webhookBackoff },
};

/**
 * POSTs the event, signed over the exact bytes sent. Only the status matters, so the response body
 * is never read. Redirects are not followed: a payer's endpoint answers itself, and following one
 * could lead the request somewhere the URL check never saw.
 */
async function postEvent(a: Attempt): Promise<{ httpStatus: number | null; error: string | null }> {
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const res = await axios.post(a.url, Buffer.from(a.body, 'utf8'), {
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': USER_AGENT,
        [SIGNATURE_HEADER]: signatureHeader(a.secret, a.body, timestamp),
        [EVENT_ID_HEADER]: a.eventId,
      },
      timeout: DELIVERY_TIMEOUT_MS,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      maxRedirects: 0,
      responseType: 'stream',
      validateStatus: () => true,
    });
    res.data.destroy();
    const ok = res.status >= 200 && res.status < 300;
    return { httpStatus: res.status, error: ok ? null : `HTTP ${res.status}` };
  } catch (err) {
    return { httpStatus: null, error: describeFailure(err) };
  }
}

function describeFailure(err: unknown): string {
  if (axios.isCancel(err) || (axios.isAxiosError(err) && err.code === 'ECONNABORTED')) {
    return `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`;
  }
  if (axios.isAxiosError(err)) return [err.code, err.message].filter(Boolean).join(': ');
  return err instanceof Error ? err.message : String(err);
}

/**
 * Delivers one webhook. Each run is one attempt: claimed (counted) in the database, sent, and its
 * result recorded before the job finishes, so a retry resumes from what the database says.
 */
export function deliverWebhookProcessor(db: Knex) {
  return async (job: Job<DeliverWebhookJob>): Promise<string> => {
    if (!Number.isSafeInteger(job.data?.deliveryId)) throw new UnrecoverableError('job has no delivery id');
    const start = await beginAttempt(db, job.data.deliveryId);
    if (start.kind === 'done') return start.status;
    const outcome = await finishAttempt(db, start.attempt, await postEvent(start.attempt));
    switch (outcome.kind) {
      case 'retry':
        throw new DeliveryRetry(outcome.error, outcome.retryInMs);
      case 'failed':
        throw new UnrecoverableError(outcome.error);
      default:
        return outcome.kind;
    }
  };
}
