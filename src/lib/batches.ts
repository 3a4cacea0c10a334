import { logger } from '../logger';

interface Waiting<I, O> {
  item: I;
  resolve(o: O): void;
  reject(e: unknown): void;
}

/**
 * Gathers the items that callers hand to one step into batches: whatever arrives while a batch
 * runs goes into the next one, so under load each statement and commit carries many items, and a
 * lone item is still handled at once. Each caller gets its own item's result once the batch
 * holding it has finished. If a batch fails, its items are tried one by one, so only an item that
 * fails alone fails its caller.
 */
export class Batches<I, O> {
  private waiting: Array<Waiting<I, O>> = [];
  private running = false;

  /**
   * @param step names the step in the log when a batch fails
   * @param run handles a batch, one result per item in order
   * @param max most items in one batch; one batch runs at a time
   */
  constructor(
    private readonly step: string,
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly max: number,
  ) {}

  add(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    if (this.running || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.max);
    this.running = true;
    void this.flush(batch).finally(() => {
      this.running = false;
      this.drain();
    });
  }

  private async flush(batch: Array<Waiting<I, O>>): Promise<void> {
    try {
      const results = await this.run(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (e) {
      if (batch.length === 1) {
        batch[0].reject(e);
        return;
      }
      logger.warn({ err: e, step: this.step, items: batch.length }, 'batch failed; taking its items one by one');
      for (const w of batch) {
        await this.run([w.item]).then(([result]) => w.resolve(result), w.reject);
      }
    }
  }
}
