import type { BankResult } from './types';

/** Helpers both connectors share for answers and retries. */

/** The same outcome without its payload, for passing a failure on under another result type. */
export function withoutData<T>(r: BankResult<unknown>): BankResult<T> {
  return { outcome: r.outcome, code: r.code, message: r.message };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Exponential, with jitter in its upper half so that many workers do not retry in step. */
export function backoffMs(baseMs: number, attempt: number): number {
  const ceiling = baseMs * 2 ** (attempt - 1);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}
