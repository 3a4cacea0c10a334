import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { startBankSimulator } from './banks/bni-ecollection/simulator';
import { startSnapSimulator } from './banks/snap/simulator';
import { snapSimulatorOptions } from './banks/snap/dev';
import { config, ConfigError } from './config';
import { closeDb, db, ensureDatabase, migrateLatest } from './db';
import { configureLogger, logger } from './logger';
import { ROLES, Role, signToken } from './modules/auth/tokens';
import { closeQueues } from './queues';
import { startServer } from './server';
import { startWorkers } from './worker';
import { seedPadang } from '../seeds/padang';
import { seedOnboardedLevies } from '../seeds/onboarding';
import { sweepOptions } from '../jobs/sweep';
import { sweep } from './modules/reconciliation/sweeper';
import { getRun, importStatement } from './modules/reconciliation/service';
import { verifyLedger } from './modules/ledger/verify';
import { runDunning } from './modules/interest/service';
import { generateSts, stsPdf } from './modules/treasury/service';
import { formatRupiah } from './lib/money';
import { isCalendarDate, jakartaDate } from './lib/time';
import { runDemo } from './demo';
import { AppError } from './errors';
import { readDefinitionFile } from './modules/levy-types/definition';
import { applyDefinitionFile } from './modules/levy-types/service';
import { createUser } from './modules/users/service';

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
  .description("load Kota Padang's OPDs, BNI channel, tower levy, owners and towers, and the levies in levies/ with sample payers and objects (idempotent)")
  .action(
    oneShot(async () => {
      const r = await seedPadang(db());
      console.log(`Seeded Diskominfo Kota Padang: ${r.owners} tower owners, ${r.towers} towers`);
      const o = await seedOnboardedLevies(db());
      console.log(`Seeded Bapenda's billboard tax and Disdag's market stalls: ${o.payers} payers, ${o.billboards} billboards, ${o.stalls} stalls`);
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
  .description('run the bank simulators: BNI eCollection (BANK_SIM_PORT) and SNAP "Bank Nagari" (SNAP_SIM_PORT)')
  .action(async () => {
    const c = config();
    const bni = await startBankSimulator({
      port: c.BANK_SIM_PORT,
      host: c.BANK_SIM_HOST,
      clientId: c.BNI_CLIENT_ID,
      secret: c.BNI_SECRET_KEY,
      prefix: c.BNI_PREFIX,
      callbackUrl: c.BANK_SIM_CALLBACK_URL,
      latencyMs: c.BANK_SIM_LATENCY_MS,
    });
    logger.info({ url: bni.url, callback: c.BANK_SIM_CALLBACK_URL }, 'BNI eCollection simulator listening');
    const nagari = await startSnapSimulator({ port: c.SNAP_SIM_PORT, host: c.BANK_SIM_HOST, ...snapSimulatorOptions(c.SNAP_SIM_CALLBACK_URL) });
    logger.info({ url: nagari.url, callback: c.SNAP_SIM_CALLBACK_URL }, 'SNAP (Bank Nagari) simulator listening');
    untilSignalled(async () => {
      await bni.close();
      await nagari.close();
    });
  });

program
  .command('sweep')
  .description('run the sweeper now: stuck work re-queued, quiet bills inquired at the bank, lapsed VAs expired')
  .option('--stuck-after <seconds>', 're-queue work untouched for this long', '60')
  .option('--quiet-minutes <minutes>', 'inquire open bills with no news for this long (default SWEEP_QUIET_MINUTES)')
  .action(
    oneShot(async (o: { stuckAfter: string; quietMinutes?: string }) => {
      const r = await sweep(
        db(),
        sweepOptions({
          stuckAfterMs: Number(o.stuckAfter) * 1000,
          ...(o.quietMinutes !== undefined ? { quietForMs: Number(o.quietMinutes) * 60_000 } : {}),
        }),
      );
      console.log(
        `Re-queued ${r.requeued.bills} bill(s), ${r.requeued.payments} payment(s), ${r.requeued.receipts} receipt(s), ` +
          `${r.requeued.webhooks} webhook(s); ` +
          `inquired ${r.inquired} bill(s), found ${r.foundByInquiry} payment(s), expired ${r.expired}` +
          (r.throttledChannels.length ? `; throttled by ${r.throttledChannels.join(', ')}` : ''),
      );
    }),
  );

program
  .command('interest')
  .description('run dunning as of a date: reminders, warnings, STRDs with late interest, STRD re-pricing')
  .option('--as-of <date>', 'a Jakarta calendar date, YYYY-MM-DD (default today)')
  .action(
    oneShot(async (o: { asOf?: string }) => {
      const asOf = o.asOf ?? jakartaDate();
      if (!isCalendarDate(asOf)) throw new ConfigError(`--as-of ${asOf} is not a YYYY-MM-DD date`);
      const r = await runDunning(db(), asOf);
      console.log(
        `As of ${r.asOf}: ${r.reminders} reminder(s), ${r.warnings} warning(s), ${r.strdCreated} STRD(s) issued, ` +
          `${r.repriced} re-priced, ${r.paused} paused, ${r.failures.length} failure(s)`,
      );
      for (const f of r.failures) console.log(`  ${f.bill_no}: bank answered ${f.code} ${f.message}`);
      if (r.failures.length) process.exitCode = 1;
    }),
  );

program
  .command('sts')
  .description("make a WIB day's STS (deposit slips), one per OPD and bank channel; running it again makes nothing new")
  .requiredOption('--date <date>', 'the WIB day whose payments are deposited, YYYY-MM-DD')
  .option('--channel <code>', "only this bank channel's payments")
  .option('--out <dir>', "write the day's STS PDFs here")
  .action(
    oneShot(async (o: { date: string; channel?: string; out?: string }) => {
      try {
        const r = await generateSts(db(), { date: o.date, channel: o.channel }, 'cli:sts');
        const all = [...r.existing, ...r.created];
        console.log(`${r.date}: ${r.created.length} STS made, ${r.existing.length} made before`);
        for (const s of all) {
          console.log(
            `  ${s.sts_no} ${s.opd.code} ${s.bank_channel.code}: ${s.payment_count} payment(s), revenue ${formatRupiah(s.revenue_amount)}, ` +
              `credit ${formatRupiah(s.credit_amount)}, deposited ${formatRupiah(s.total_amount)}`,
          );
        }
        if (o.out) {
          fs.mkdirSync(o.out, { recursive: true });
          for (const s of all) {
            const { pdf, fileName } = await stsPdf(db(), { sub: 'cli', role: 'finance' }, s.sts_no);
            fs.writeFileSync(path.join(o.out, fileName), pdf);
          }
          console.log(`  ${all.length} PDF(s) written to ${o.out}`);
        }
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        console.error(`${e.code}: ${e.message}`);
        process.exitCode = 1;
      }
    }),
  );

program
  .command('reconcile <file>')
  .description('import a bank statement file and match it; the same file again changes nothing')
  .requiredOption('--channel <code>', 'the bank channel, e.g. bni-ecollection')
  .requiredOption('--from <date>', 'the first day the statement covers, YYYY-MM-DD')
  .requiredOption('--to <date>', 'the last day the statement covers, YYYY-MM-DD')
  .option('--format <format>', 'canonical, bni-csv or mt940', 'canonical')
  .action(
    oneShot(async (file: string, o: { channel: string; from: string; to: string; format: string }) => {
      try {
        const input = { channel: o.channel, from: o.from, to: o.to, format: o.format, fileName: path.basename(file) };
        const { run, reimported } = await importStatement(db(), { sub: 'cli', role: 'finance' }, input, fs.createReadStream(file));
        const r = await getRun(db(), run.id);
        console.log(`Run ${r.id}${reimported ? ', imported before' : ''}: matched in ${r.duration_ms} ms`);
        console.log(`  lines: ${r.lines.loaded} loaded, ${r.lines.rejected} rejected, ${r.lines.skipped} skipped`);
        if (r.outcomes) {
          console.log(`  per line: ${Object.entries(r.outcomes.lines).map(([k, v]) => `${k} ${v}`).join(', ')}`);
          console.log(`  per payment: ${Object.entries(r.outcomes.payments).map(([k, v]) => `${k} ${v}`).join(', ')}`);
        }
        for (const x of r.rejected.slice(0, 20)) console.log(`  row ${x.row}: ${x.reason}`);
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        console.error(`${e.code}: ${e.message}`);
        process.exitCode = 1;
      }
    }),
  );

program
  .command('verify-ledger')
  .description('prove the books: entries balance, bills match the ledger, audit chains intact (exit 1 if not)')
  .action(
    oneShot(async () => {
      const r = await verifyLedger(db());
      console.log(
        `${r.entries} ledger entries, ${r.audit.entries} audit entries: ` +
          `${r.unbalancedEntries.length} unbalanced, ${r.billMismatches.length} bill(s) off the ledger, ` +
          `${r.paymentMismatches.length} bill(s) off their payments, ${r.audit.problems.length} audit chain problem(s)`,
      );
      for (const m of r.billMismatches) console.log(`  bill ${m.bill_no} (${m.status}): amount ${m.amount} booked ${m.booked}; paid ${m.paid_amount} collected ${m.collected}`);
      for (const m of r.paymentMismatches) console.log(`  bill ${m.bill_no}: paid ${m.paid_amount} but payments applied ${m.applied}`);
      for (const p of r.audit.problems) console.log(`  audit ${p.entity_type} ${p.entity_id} #${p.seq}: ${p.problem}`);
      console.log(r.ok ? 'Ledger verified.' : 'LEDGER DOES NOT VERIFY');
      if (!r.ok) process.exitCode = 1;
    }),
  );

const levy = program.command('levy').description('levy type definitions');
levy
  .command('apply <file>')
  .description('create or version a levy type from a YAML or JSON definition file (applying it again changes nothing)')
  .action(
    oneShot(async (file: string) => {
      try {
        const r = await applyDefinitionFile(db(), readDefinitionFile(file), 'cli:levy-apply');
        const what = { created: 'created with version', versioned: 'new version', unchanged: 'unchanged, version' }[r.outcome];
        console.log(`${r.code}: ${what} ${r.version}`);
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        console.error(`${file}: ${e.code}: ${e.message}`);
        for (const f of (e.details?.errors as Array<{ field: string; reason: string }> | undefined) ?? []) console.error(`  ${f.field}: ${f.reason}`);
        process.exitCode = 1;
      }
    }),
  );

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

const user = program.command('user').description('people who sign in to the web pages');
user
  .command('create')
  .description('create a user, e.g. the first admin; the password is read from standard input')
  .requiredOption('--email <email>', 'sign-in e-mail address')
  .addOption(new Option('--role <role>', 'role').choices(ROLES).makeOptionMandatory())
  .option('--name <name>', 'full name (default: the e-mail address)')
  .option('--payer <npwrd>', 'the NPWRD a payer user acts for')
  .option('--opd <code>', 'the OPD code of an opd_admin user')
  .requiredOption('--password-stdin', 'read the password from standard input (never from the command line, where ps would show it)')
  .action(
    oneShot(async (o: { email: string; role: Role; name?: string; payer?: string; opd?: string }) => {
      const password = (await readStdin()).replace(/\r?\n$/, '');
      try {
        const u = await createUser(db(), 'cli:user-create', { email: o.email, name: o.name ?? o.email, role: o.role, payer: o.payer, opd: o.opd, password });
        console.log(`Created user ${u.id}: ${u.email} (${u.role}${u.payer ? ` for ${u.payer.npwrd}` : ''}${u.opd ? ` of ${u.opd.code}` : ''})`);
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        console.error(`${e.code}: ${e.message}`);
        process.exitCode = 1;
      }
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
