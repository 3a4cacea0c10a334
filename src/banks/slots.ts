/**
 * The HTTP exchanges a process has in flight with a channel's bank: at most the channel's
 * concurrency. Only the exchange itself holds a slot; what comes before (building and encrypting
 * the request) and after (writing the call log, waiting out a retry's backoff) does not, so a
 * slot is taken only for as long as the bank needs it.
 */
export type Gate = <T>(exchange: () => Promise<T>) => Promise<T>;

class BankSlots {
  private busy = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async run<T>(exchange: () => Promise<T>): Promise<T> {
    if (this.busy >= this.size) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.busy += 1;
    try {
      return await exchange();
    } finally {
      // A waiting exchange takes the slot over as it is; only an unclaimed slot is freed.
      const next = this.queue.shift();
      if (next) next();
      else this.busy -= 1;
    }
  }
}

/** For a connector used on its own (tests, tools): every exchange at once. */
export const ungated: Gate = (exchange) => exchange();

const gates = new Map<string, Gate>();

/** The process's gate for a channel (a changed concurrency gets a new one). */
export function gateOf(channel: { id: number; concurrency: number }): Gate {
  const key = `${channel.id}:${channel.concurrency}`;
  let gate = gates.get(key);
  if (!gate) {
    const slots = new BankSlots(Math.max(1, channel.concurrency));
    gate = (exchange) => slots.run(exchange);
    gates.set(key, gate);
  }
  return gate;
}
