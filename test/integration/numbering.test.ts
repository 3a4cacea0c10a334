import { db } from '../../src/db';
import { allocateBillNumbers } from '../../src/modules/bills/repo';
import { useFreshDatabase } from '../support/harness';

describe('Bill numbering: one gapless sequence per OPD and year', () => {
  let drop: () => Promise<void>;
  let opdId: number;

  beforeAll(async () => {
    drop = await useFreshDatabase();
    [{ id: opdId }] = await db()('opds').insert({ code: 'TESTOPD', name: 'Test', pemda_name: 'Test' }).returning('id');
  });
  afterAll(() => drop());

  it('When many transactions allocate at once and some roll back, then the committed numbers have no gaps', async () => {
    const committed: number[] = [];
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        db()
          .transaction(async (trx) => {
            const first = await allocateBillNumbers(trx, opdId, 2027, 3);
            if (i % 4 === 0) throw new Error('rolled back');
            committed.push(first, first + 1, first + 2);
          })
          .catch((e: Error) => expect(e.message).toBe('rolled back')),
      ),
    );
    committed.sort((a, b) => a - b);
    expect(committed).toEqual(Array.from({ length: committed.length }, (_, i) => i + 1));
  });

  it('Each year starts its own sequence', async () => {
    const first = await db().transaction((trx) => allocateBillNumbers(trx, opdId, 2028, 1));
    expect(first).toBe(1);
  });
});
