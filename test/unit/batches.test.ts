import { Batches } from '../../src/lib/batches';
import { storable } from '../../src/banks/storable';

describe('Batches', () => {
  it('When items arrive while a batch runs, then they go together in the next batch, and each caller gets its own result', async () => {
    const seen: number[][] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const batches = new Batches<number, number>(
      'test',
      async (items) => {
        seen.push(items);
        if (seen.length === 1) await first;
        return items.map((i) => i * 10);
      },
      3,
    );
    const results = [batches.add(1), batches.add(2), batches.add(3), batches.add(4), batches.add(5)];
    release();
    expect(await Promise.all(results)).toEqual([10, 20, 30, 40, 50]);
    expect(seen).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('When a batch fails, then its items are tried one by one and only the item that fails alone fails its caller', async () => {
    const tried: number[][] = [];
    const batches = new Batches<number, number>(
      'test',
      async (items) => {
        tried.push(items);
        if (items.includes(2)) throw new Error('two is refused');
        return items;
      },
      10,
    );
    // 1 goes alone at once; 2 and 3 wait for it and go together.
    const settled = await Promise.allSettled([batches.add(1), batches.add(2), batches.add(3)]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('two is refused');
    expect(tried).toEqual([[1], [2, 3], [2], [3]]);
  });
});

describe('A bank answer as PostgreSQL can keep it', () => {
  it('When an answer holds NUL characters or lone surrogates at any depth, then they are dropped or replaced and nothing else changes', () => {
    const answer = { status: '102', message: 'VA\u0000 in use', data: [{ 'na\u0000me': 'A\ud800B' }, 7, null, true], ok: 'Rp 1.000 😀' };
    expect(storable(answer)).toEqual({ status: '102', message: 'VA in use', data: [{ name: 'A\ufffdB' }, 7, null, true], ok: 'Rp 1.000 😀' });
    expect(storable('plain')).toBe('plain');
  });
});
