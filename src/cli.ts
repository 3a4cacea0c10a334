import { Command, Option } from 'commander';
import { startBankSimulator } from './banks/bni-ecollection/simulator';
import { config, ConfigError } from './config';
import { closeDb, db, ensureDatabase, migrateLatest } from './db';
import { configureLogger, logger } from './logger';
import { ROLES, Role, signToken } from './modules/auth/tokens';
import { closeQueues } from './queues';
import { startServer } from './server';
import { startWorkers } from './worker';
import { seedPadang } from '../seeds/padang';
import { sweep } from '../jobs/sweep';
import { runDemo } from './demo';

/** `npm run kasda -- <command>`: every operator action, one command each. */
const program = new Command('kasda').description('Kasda: regional levies collected through bank virtual accounts');

/** Runs a one-shot command and closes the pools it opened, so the process exits on its own. */
function oneShot<A extends unknown[]>(fn: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } finally {
      await closeQueues();
      await closeDb();
    }
  };
}

/** Keeps a long-running command alive until SIGINT/SIGTERM, then closes it cleanly. */
function untilSignalled(close: () => Promise<void>): void {
  let closing = false;
  const stop = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    await close();
    await closeQueues();
    await closeDb();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

program
  .command('migrate')
  .description('create the database if needed and apply every pending migration')
  .action(
    oneShot(async () => {
      await ensureDatabase();
      const applied = await migrateLatest();
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date');
    }),
  );

program
  .command('seed')
  .description("load Kota Padang's OPD, BNI channel, tower levy, owners and towers (idempotent)")
  .action(
    oneShot(async () => {
      const r = await seedPadang(db());
      console.log(`Seeded Diskominfo Kota Padang: ${r.owners} tower owners, ${r.towers} towers`);
    }),
  );

program
  .command('token')
  .description('print a signed JWT for a role (last line of output)')
  .addOption(new Option('--role <role>', 'role').choices(ROLES).makeOptionMandatory())
  .option('--payer <npwrd>', 'the NPWRD a payer token is scoped to')
  .option('--opd <code>', 'the OPD code an opd_admin token is scoped to')
  .option('--sub <subject>', 'who the token names', 'cli')
  .option('--expires <span>', 'lifetime, e.g. 12h or 30m', '12h')
  .action((o: { role: Role; payer?: string; opd?: string; sub: string; expires: string }) => {
    if (o.role === 'payer' && !o.payer) throw new ConfigError('--payer <npwrd> is required for the payer role');
    if (o.role === 'opd_admin' && !o.opd) throw new ConfigError('--opd <code> is required for the opd_admin role');
    console.log(
      signToken(
        { sub: o.sub, role: o.role, npwrd: o.payer, opd: o.opd },
        o.expires as `${number}h`,
      ),
    );
  });

program
  .command('serve')
  .description('run the HTTP API')
  .action(async () => {
    const server = await startServer();
    untilSignalled(() => server.close());
  });

program
  .command('work')
  .description('run the BullMQ workers (assessments, VA issuing per bank channel)')
  .action(async () => {
    const workers = await startWorkers(db());
    untilSignalled(() => workers.close());
  });

program
  .command('bank-sim')
  .description('run the BNI eCollection simulator (for development, UAT and the demo)')
  .action(async () => {
    const c = config();
    const sim = await startBankSimulator({
      port: c.BANK_SIM_PORT,
      host: c.BANK_SIM_HOST,
      clientId: c.BNI_CLIENT_ID,
      secret: c.BNI_SECRET_KEY,
      prefix: c.BNI_PREFIX,
      callbackUrl: c.BANK_SIM_CALLBACK_URL,
      latencyMs: c.BANK_SIM_LATENCY_MS,
    });
    logger.info({ url: sim.url, callback: c.BANK_SIM_CALLBACK_URL }, 'BNI eCollection simulator listening');
    untilSignalled(() => sim.close());
  });

program
  .command('sweep')
  .description('run the sweeper now: re-queue bills stuck in draft or issuing')
  .option('--older-than <seconds>', 'only bills untouched for this long', '60')
  .action(
    oneShot(async (o: { olderThan: string }) => {
      const r = await sweep(db(), Number(o.olderThan) * 1000);
      console.log(`Re-queued ${r.requeued} bill(s) for VA issuing`);
    }),
  );

program
  .command('demo')
  .description('the whole main job on a fresh demo database, with the bundled simulator')
  .action(async () => {
    process.exitCode = await runDemo();
  });

async function main() {
  try {
    config();
    configureLogger();
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

void main();
