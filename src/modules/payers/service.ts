import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { AppError, Conflict, NotFound } from '../../errors';
import { chunks } from '../../lib/chunks';
import type { Principal } from '../auth/tokens';
import { recordAudit } from '../audit/service';
import { checkColumns, formulaInjection, readCsv, RowRejection } from '../imports/csv';
import * as repo from './repo';

/**
 * The payer registry (wajib retribusi / wajib pajak, keyed by NPWRD or NPWPD, both held as
 * `npwrd`) is city-wide: one company pays several OPDs' levies under one number. Any OPD may
 * register a payer and look one up by its number; nobody overwrites a registered payer through
 * this module, so one OPD's import cannot change the name or address another OPD bills. An OPD
 * admin lists only the payers it registered or bills.
 */
export interface PayerInput {
  npwrd: string;
  name: string;
  address?: string;
  email?: string | null;
  phone?: string | null;
}

export interface FieldError {
  field: string;
  reason: string;
}

export const NPWRD = /^[A-Za-z0-9][A-Za-z0-9./-]{2,39}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
// A phone number in E.164 may start with "+", so it is held to digits rather than the text rule.
const PHONE = /^\+?[0-9]{6,15}$/;

function checkPayer(p: PayerInput): FieldError[] {
  const errors: FieldError[] = [];
  if (!NPWRD.test(p.npwrd)) errors.push({ field: 'npwrd', reason: 'must be 3–40 letters, digits, dots, dashes or slashes' });
  if (p.name.length < 2 || p.name.length > 200) errors.push({ field: 'name', reason: 'must be 2–200 characters' });
  for (const field of ['name', 'address'] as const) {
    const injected = formulaInjection(p[field] ?? '');
    if (injected) errors.push({ field, reason: injected });
  }
  if ((p.address ?? '').length > 500) errors.push({ field: 'address', reason: 'must be at most 500 characters' });
  if (p.email && !EMAIL.test(p.email)) errors.push({ field: 'email', reason: 'is not an email address' });
  if (p.phone && !PHONE.test(p.phone)) errors.push({ field: 'phone', reason: 'must be digits, optionally after a +, 6–15 long' });
  return errors;
}

const normalise = (p: PayerInput) => ({
  npwrd: p.npwrd,
  name: p.name,
  address: p.address ?? '',
  email: p.email || null,
  phone: p.phone || null,
});

type Outcome<R> = { ref: R; status: 'created' | 'unchanged'; payer: repo.PayerRow } | { ref: R; status: 'rejected'; errors: FieldError[]; conflict?: boolean };

/** Registers payers that are new, recognises those already registered the same, refuses the rest. */
async function registerPayers<R>(db: Knex, who: Principal, entries: Array<{ ref: R; input: PayerInput }>): Promise<Array<Outcome<R>>> {
  return db.transaction(async (trx) => {
    const opdId = who.role === 'opd_admin' ? (await trx('opds').where({ code: who.opd }).first())?.id ?? null : null;
    const outcomes: Array<Outcome<R>> = [];
    const fresh = new Map<string, { ref: R; row: ReturnType<typeof normalise> }>();
    const existing = await repo.findByNpwrds(trx, entries.map((e) => e.input.npwrd));
    const firstSeen = new Map<string, R>();
    for (const { ref, input } of entries) {
      const errors = checkPayer(input);
      if (errors.length) {
        outcomes.push({ ref, status: 'rejected', errors });
        continue;
      }
      if (firstSeen.has(input.npwrd)) {
        outcomes.push({ ref, status: 'rejected', errors: [{ field: 'npwrd', reason: `repeats the NPWRD of row ${String(firstSeen.get(input.npwrd))}` }] });
        continue;
      }
      firstSeen.set(input.npwrd, ref);
      const row = normalise(input);
      const stored = existing.get(input.npwrd);
      if (!stored) {
        fresh.set(input.npwrd, { ref, row });
        continue;
      }
      const differs = (['name', 'address', 'email', 'phone'] as const).filter((f) => (stored[f] ?? null) !== row[f]);
      if (differs.length) {
        outcomes.push({
          ref,
          status: 'rejected',
          conflict: true,
          errors: differs.map((f) => ({ field: f, reason: `NPWRD ${input.npwrd} is registered with another ${f}; the shared registry is not overwritten` })),
        });
      } else {
        outcomes.push({ ref, status: 'unchanged', payer: stored });
      }
    }
    for (const batch of chunks([...fresh.values()])) {
      const inserted = await repo.insertPayers(trx, batch.map((f) => ({ ...f.row, registered_by_opd_id: opdId })));
      for (const p of inserted) outcomes.push({ ref: fresh.get(p.npwrd)!.ref, status: 'created', payer: p });
      await recordAudit(
        trx,
        inserted.map((p) => ({ actor: `${who.role}:${who.sub}`, action: 'payer.registered', entityType: 'payer', entityId: p.npwrd, after: { name: p.name } })),
      );
    }
    return outcomes;
  });
}

export async function registerPayer(db: Knex, who: Principal, input: PayerInput) {
  const [outcome] = await registerPayers(db, who, [{ ref: 'request', input }]);
  if (outcome.status === 'rejected') {
    const [first] = outcome.errors;
    if (outcome.conflict) throw new Conflict('payer_exists', `${first.field}: ${first.reason}`, { errors: outcome.errors });
    throw new AppError('payer_invalid', `${first.field}: ${first.reason}`, 422, { errors: outcome.errors });
  }
  return { status: outcome.status, payer: await presentPayer(db, outcome.payer) };
}

const PAYER_COLUMNS = ['npwrd', 'name', 'address', 'email', 'phone'];

/** A CSV of payers: each row registered, recognised or rejected with its row, column and reason. */
export async function importPayers(db: Knex, who: Principal, csv: unknown) {
  const table = readCsv(csv);
  checkColumns(table.columns, ['npwrd', 'name'], new Set(PAYER_COLUMNS));
  const outcomes = await registerPayers(
    db,
    who,
    table.rows.map((r) => ({
      ref: r.row,
      input: { npwrd: r.cells.npwrd, name: r.cells.name, address: r.cells.address, email: r.cells.email, phone: r.cells.phone },
    })),
  );
  const rejected: RowRejection[] = [
    ...table.rejected,
    ...outcomes.flatMap((o) =>
      o.status === 'rejected' ? o.errors.map((e) => ({ row: o.ref, column: e.field, reason: e.reason })) : [],
    ),
  ].sort((a, b) => a.row - b.row);
  const summary = {
    import_id: crypto.randomUUID(),
    rows: table.rows.length + table.rejected.length,
    created: outcomes.filter((o) => o.status === 'created').length,
    updated: 0,
    unchanged: outcomes.filter((o) => o.status === 'unchanged').length,
    rejected,
  };
  await recordAudit(db, {
    actor: `${who.role}:${who.sub}`,
    action: 'payers.imported',
    entityType: 'import',
    entityId: summary.import_id,
    after: { ...summary, rejected: rejected.length },
  });
  return summary;
}

async function presentPayer(db: Knex, p: repo.PayerRow) {
  const opd = p.registered_by_opd_id ? await db('opds').where({ id: p.registered_by_opd_id }).first('code') : undefined;
  return {
    npwrd: p.npwrd,
    name: p.name,
    address: p.address,
    email: p.email,
    phone: p.phone,
    registered_by_opd: opd?.code ?? null,
    created_at: p.created_at,
  };
}

/** Anyone on staff looks a payer up by number; a payer sees only itself. */
export async function getPayer(db: Knex, who: Principal, npwrd: string) {
  const p = who.role === 'payer' && who.npwrd !== npwrd ? undefined : (await repo.findByNpwrds(db, [npwrd])).get(npwrd);
  if (!p) throw new NotFound('payer_not_found', `No payer with NPWRD ${npwrd}`);
  return presentPayer(db, p);
}

export async function listPayers(db: Knex, who: Principal, q: { limit?: number; cursor?: string }) {
  const limit = q.limit ?? 50;
  const after = q.cursor ? decodeCursor(q.cursor) : 0;
  const rows = await repo.listPayers(db, who.role === 'opd_admin' ? who.opd : undefined, after, limit + 1);
  const page = rows.slice(0, limit);
  return {
    data: await Promise.all(page.map((p) => presentPayer(db, p))),
    next_cursor: rows.length > limit ? Buffer.from(`p:${page[page.length - 1].id}`).toString('base64url') : null,
  };
}

function decodeCursor(cursor: string): number {
  const m = /^p:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new AppError('invalid_cursor', 'The cursor is not one this API gave out', 400);
  return Number(m[1]);
}
