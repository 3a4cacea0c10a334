import { seedPadang } from '../seeds/padang';
import { freshEnv } from './lib/common';
import { defineBenchLevy, seedBenchObjects } from './lib/levy';
import { assessInChild } from './assess';
async function main() {
  const env = await freshEnv('diag');
  try {
    await seedPadang(env.db);
    const levy = await defineBenchLevy(env.db);
    await seedBenchObjects(env.db, levy, Number(process.argv[2]));
    await env.db.raw('ANALYZE');
    const name = new URL(env.url).pathname.slice(1);
    await env.db.raw(`ALTER DATABASE "${name}" SET session_preload_libraries = 'auto_explain'`);
    await env.db.raw(`ALTER DATABASE "${name}" SET auto_explain.log_min_duration = '${process.argv[3] ?? 30}'`);
    const r = await assessInChild(env, levy, 'assess');
    console.log(r.seconds);
  } finally { await env.close(); }
}
main();
