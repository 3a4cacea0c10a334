import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { db } from '../../src/db';
import { verifyToken } from '../../src/modules/auth/tokens';
import { queue, QUEUES } from '../../src/queues';
import { startWorkers } from '../../src/worker';
import { sweepOptions } from '../../jobs/sweep';
import { sweep } from '../../src/modules/reconciliation/sweeper';
import { startStack, Stack, waitFor } from '../support/harness';
import { assessTowers } from '../support/payments';

const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');
const kasda = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/cli.ts', ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
  });

describe('The sweeper and the CLI', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ workers: false });
  });
  afterAll(() => stack.close());

  it('When the queued VA jobs are lost (Redis flushed), then the sweeper queues the bills again and they get issued', async () => {
    await assessTowers(stack);
    await queue(QUEUES.issueVa('bni-ecollection')).obliterate({ force: true });
    expect(await db()('bills').where({ status: 'draft' }).count('* as n').first()).toEqual({ n: 22 });

    expect((await sweep(db(), sweepOptions({ stuckAfterMs: 0 }))).requeued.bills).toBe(22);
    const workers = await startWorkers(db());
    try {
      await waitFor('all issued', async () => {
        const left = await db()('bills').whereNot({ status: 'issued' }).count('* as n').first();
        return left?.n === 0;
      });
    } finally {
      await workers.close();
    }
    expect((await sweep(db(), sweepOptions({ stuckAfterMs: 0 }))).requeued.bills).toBe(0);
  });

  it('`kasda token` prints a signed JWT on its last line', async () => {
    const { stdout } = await kasda(['token', '--role', 'payer', '--payer', 'R.1.0013.13.0001']);
    const token = stdout.trim().split('\n').pop()!;
    expect(verifyToken(token)).toMatchObject({ role: 'payer', npwrd: 'R.1.0013.13.0001' });
  });

  it('`kasda token` refuses a payer token without an NPWRD', async () => {
    await expect(kasda(['token', '--role', 'payer'])).rejects.toMatchObject({ code: 2 });
  });

  it('`kasda migrate` and `kasda sweep` run against the configured database', async () => {
    expect((await kasda(['migrate'])).stdout).toContain('up to date');
    expect((await kasda(['sweep'])).stdout).toMatch(/Re-queued \d+ bill/);
  });

  it('`kasda verify-ledger` passes on honest books and fails when the audit trail was tampered with', async () => {
    const ok = await kasda(['verify-ledger']);
    expect(ok.stdout).toContain('Ledger verified.');

    // Someone with database access rewrites history, bypassing the append-only trigger.
    await db().raw('ALTER TABLE audit_log DISABLE TRIGGER audit_log_immutable');
    await db().raw(`UPDATE audit_log SET after = '{"status":"paid"}'::jsonb WHERE id = (SELECT min(id) FROM audit_log WHERE entity_type = 'bill')`);
    await db().raw('ALTER TABLE audit_log ENABLE TRIGGER audit_log_immutable');
    const err = await kasda(['verify-ledger']).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stdout).toMatch(/content does not match its hash/);
    expect(err.stdout).toContain('LEDGER DOES NOT VERIFY');
  });

  it('A bad environment variable stops the CLI with a message naming it', async () => {
    const err = await kasda(['migrate'], { PORT: 'eighty' }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('PORT:');
  });
});
