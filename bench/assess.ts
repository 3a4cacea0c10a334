import { startRun } from '../src/modules/assessments/repo';
import { seedPadang } from '../seeds/padang';
import { freshEnv, heading, log, round, Sizes } from './lib/common';
import { BENCH_PERIOD, BenchLevy, defineBenchLevy, seedBenchObjects } from './lib/levy';
import { startProc } from './lib/procs';
import type { BenchEnv } from './lib/common';

/** Runs the real runAssessment in a Kasda process of its own; seconds, and what it made. */
export async function assessInChild(env: BenchEnv, levy: BenchLevy, name: string) {
  const { run } = await startRun(env.db, {
    levy_type_id: levy.levyTypeId,
    levy_type_version_id: levy.versionId,
    period: BENCH_PERIOD,
    requested_by: 'bench',
  });
  const child = startProc(name, 'bench/children/assess.ts', [run.id], { env: env.env });
  const { seconds } = JSON.parse((await child.output()).trim().split('\n').pop()!) as { seconds: number };
  const done = await env.db('assessments').where({ id: run.id }).first();
  if (done.status !== 'completed') throw new Error(`assessment ${done.status}: ${done.error}`);
  return { seconds, run: done };
}

/**
 * Assessment: objects of the synthetic property-tax levy turned into bills with lines (and their
 * audit entries and VA jobs) by the real runAssessment, timed inside its own process.
 */
export async function benchAssessment(s: Sizes): Promise<number> {
  heading(`Assessment: ${s.assessObjects} objects of a property-tax-like levy`);
  const env = await freshEnv('assess');
  try {
    await seedPadang(env.db);
    const levy = await defineBenchLevy(env.db);
    await seedBenchObjects(env.db, levy, s.assessObjects);
    await env.db.raw('ANALYZE');
    const { seconds, run } = await assessInChild(env, levy, 'assess');
    const [{ lines }] = await env.db('bill_lines').count<{ lines: number }[]>('* as lines');
    log(
      `  ${run.objects_considered} objects → ${run.bills_created} bills, ${lines} lines, Rp${run.amount_created.toLocaleString('id-ID')} ` +
        `in ${round(seconds, 2)} s (${round(run.bills_created / seconds)} bills/s)`,
    );
    if (run.bills_created !== s.assessObjects || Number(lines) !== s.assessObjects) throw new Error('not every object was billed');
    return seconds;
  } finally {
    await env.close();
  }
}
