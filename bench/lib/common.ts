import crypto from 'node:crypto';
import path from 'node:path';
import type { Knex } from 'knex';
import { resetConfig } from '../../src/config';
import { createDb, dropDatabase, ensureDatabase, migrateLatest } from '../../src/db';
import { closeQueues, deleteQueueKeys } from '../../src/queues';

/** What every benchmark shares: sizes, a fresh database and queue prefix each, timing, figures. */
export const ROOT = path.resolve(__dirname, '..', '..');

export interface Sizes {
  /** Distinct issued bills paid by notifications. */
  notifications: number;
  assessObjects: number;
  issueBills: number;
  statementLines: number;
  skrds: number;
  pgbenchSeconds: number;
}

export function sizes(quick: boolean): Sizes {
  const f = quick ? 10 : 1;
  return {
    notifications: 20_000 / f,
    assessObjects: 100_000 / f,
    issueBills: 20_000 / f,
    statementLines: 1_000_000 / f,
    skrds: 2_000 / f,
    pgbenchSeconds: quick ? 2 : 20,
  };
}

export function baseUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/kasda';
}

export function urlFor(name: string): string {
  const u = new URL(baseUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

const RUN_ID = `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;

export interface BenchEnv {
  label: string;
  url: string;
  prefix: string;
  db: Knex;
  /** Environment for Kasda child processes of this benchmark. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database and a random hash-tagged queue prefix for one benchmark; this
 * process's own config points at them too (queue producers, seeding). `close` drops both.
 */
export async function freshEnv(label: string, poolMax = 8): Promise<BenchEnv> {
  const url = urlFor(`kasda_bench_${RUN_ID}_${label}`);
  const prefix = `{kasda-bench-${RUN_ID}-${label}}`;
  await dropDatabase(url);
  await ensureDatabase(url);
  const db = createDb(url, poolMax);
  await migrateLatest(db);
  process.env.DATABASE_URL = url;
  process.env.QUEUE_PREFIX = prefix;
  resetConfig();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    NODE_ENV: 'development',
  };
  return {
    label,
    url,
    prefix,
    db,
    env,
    async close() {
      await closeQueues();
      await db.destroy();
      await deleteQueueKeys(prefix).catch(() => undefined);
      if (!process.env.BENCH_KEEP) await dropDatabase(url);
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitUntil(what: string, fn: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return Date.now();
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export function log(text: string): void {
  console.log(text);
}

export function heading(text: string): void {
  console.log(`\n== ${text}`);
}
