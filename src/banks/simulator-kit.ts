import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BillingType } from './types';

/** What the two bank simulators share: operator refusals, faults, and how a VA takes a payment. */

/** An operator route's refusal, with its HTTP status. */
export class SimError extends Error {
  constructor(
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Unref'd, so a hanging fault never keeps a finished process alive. */
export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms).unref()) : Promise.resolve();
}

/** The next injected fault for this operation (or for any), used up by one. */
export function takeFault<F extends { remaining: number }>(faults: F[], operationOf: (f: F) => string | undefined, operation: string): F | undefined {
  const fault = faults.find((f) => {
    const only = operationOf(f);
    return !only || only === operation;
  });
  if (fault && --fault.remaining <= 0) faults.splice(faults.indexOf(fault), 1);
  return fault;
}

/**
 * What a customer pays into a VA at the teller: the amount asked, else what the billing type
 * expects (the rest of an installment bill, else the bill's amount), refused when the type does
 * not take it. `what` names the VA in the refusal, as the bank's own screens would.
 */
export function acceptedPayment(
  va: { billingType: BillingType; amount: number; paidAmount: number },
  requested: number | undefined,
  what: { noun: string; type: string },
): number {
  const amount = requested ?? (va.billingType === 'i' ? va.amount - va.paidAmount : va.amount);
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    const hint = va.billingType === 'o' ? ` (an open ${what.noun} has no default)` : '';
    throw new SimError(400, `amount must be a positive whole number${hint}`);
  }
  const fits: Record<BillingType, boolean> = {
    c: amount === va.amount,
    i: va.paidAmount + amount <= va.amount,
    o: true,
    m: amount >= va.amount,
    n: amount >= va.amount,
    x: amount <= va.amount,
  };
  if (!fits[va.billingType]) {
    throw new SimError(409, `amount ${amount} not accepted for a type ${what.type} ${what.noun} of ${va.amount}`);
  }
  return amount;
}

/** Serves a simulator on host:port (0 for a free port); close() also drops keep-alive sockets. */
export async function serve(app: http.RequestListener, port: number, host = '127.0.0.1'): Promise<{ origin: string; port: number; close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // Keep-alive sockets (and requests held by a delay fault) would otherwise hold close open.
        server.closeAllConnections();
      }),
  };
}
