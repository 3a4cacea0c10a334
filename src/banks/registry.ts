import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { config } from '../config';
import { insertColumns } from '../db';
import { Batches } from '../lib/batches';
import { bankCallDuration } from '../metrics';
import { logger } from '../logger';
import { bniEcollection } from './bni-ecollection';
import { gateOf } from './slots';
import { snap } from './snap';
import type { BankCallLog, BankKind, NotificationHandler, SettingReader, TokenEndpoint, VaConnector } from './types';

export interface BankChannelRow {
  id: number;
  code: string;
  name: string;
  connector: 'bni_ecollection' | 'snap';
  bank_name: string;
  settings: Record<string, unknown>;
  concurrency: number;
  rate_per_second: number;
  time_zone: string;
}

const KINDS: Record<BankChannelRow['connector'], BankKind> = {
  bni_ecollection: bniEcollection,
  snap,
};

function kindOf(channel: BankChannelRow): BankKind {
  const kind = KINDS[channel.connector];
  if (!kind) throw new Error(`bank channel ${channel.code} uses connector ${channel.connector}, which this build does not have`);
  return kind;
}

const DEV_KEYS = path.resolve('seeds', 'dev-keys');
const files = new Map<string, string>();

/**
 * Resolves a setting's value: "env:NAME" from the environment (validated config first), "file:PATH"
 * from a file (a PEM key, say), anything else as written. Credentials thus live with the
 * deployment's secrets, never in the database.
 */
export function resolveSetting(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new Error(`bank channel setting ${name} is missing`);
  if (value.startsWith('env:')) {
    const key = value.slice(4);
    const fromConfig = (config() as Record<string, unknown>)[key];
    const resolved = typeof fromConfig === 'string' ? fromConfig : process.env[key];
    if (!resolved) throw new Error(`bank channel setting ${name} refers to ${key}, which is not set`);
    return resolveSetting(resolved, name);
  }
  if (value.startsWith('file:')) {
    const file = path.resolve(value.slice(5));
    if (config().NODE_ENV === 'production' && file.startsWith(DEV_KEYS)) {
      throw new Error(`bank channel setting ${name} points at a development key (${file}); set a real one`);
    }
    let text = files.get(file);
    if (text === undefined) {
      text = fs.readFileSync(file, 'utf8');
      files.set(file, text);
    }
    return text;
  }
  return value;
}

export function settingReader(channel: BankChannelRow): SettingReader {
  return (name) => resolveSetting(channel.settings[name], name);
}

/** The VA number a bill gets on its channel. */
export function virtualAccountFor(channel: BankChannelRow, billId: number): string {
  return kindOf(channel).virtualAccount(settingReader(channel), billId);
}

export function findChannelByCode(db: Knex, code: string): Promise<BankChannelRow | undefined> {
  return db('bank_channels').where({ code }).first();
}

export function findChannel(db: Knex, id: number): Promise<BankChannelRow> {
  return db('bank_channels').where({ id }).first();
}

export function listChannels(db: Knex): Promise<BankChannelRow[]> {
  return db('bank_channels').orderBy('id');
}

const cache = new Map<string, VaConnector>();

/** Most bank calls one insert into bank_requests takes. */
const CALL_LOG_MAX = 500;
const callLogs = new WeakMap<Knex, Batches<CallRow, void>>();

interface CallRow {
  bank_channel_id: number;
  operation: string;
  trx_id: string | null;
  request: string;
  response: string;
  status_code: string | null;
  outcome: string;
  duration_ms: number;
  error: string | null;
}

const INSERT_CALLS_SQL = `
  INSERT INTO bank_requests (bank_channel_id, operation, trx_id, request, response, status_code, outcome, duration_ms, error)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::text[], $7::text[], $8::int[], $9::text[])`;

/**
 * The process's writer of bank_requests for a database: calls that end while an insert runs are
 * written by the next one, so 32 calls in flight cost a commit or two instead of 32. A caller
 * still waits for its own row's commit, so what the bank was asked is on record before its answer
 * is acted on.
 */
function callLogOf(db: Knex): Batches<CallRow, void> {
  let writer = callLogs.get(db);
  if (!writer) {
    writer = new Batches(
      'bank call log',
      async (rows) => {
        await insertColumns(db, 'kasda-bank-requests', INSERT_CALLS_SQL, [
          rows.map((r) => r.bank_channel_id),
          rows.map((r) => r.operation),
          rows.map((r) => r.trx_id),
          rows.map((r) => r.request),
          rows.map((r) => r.response),
          rows.map((r) => r.status_code),
          rows.map((r) => r.outcome),
          rows.map((r) => r.duration_ms),
          rows.map((r) => r.error),
        ]);
        return rows.map(() => undefined);
      },
      CALL_LOG_MAX,
    );
    callLogs.set(db, writer);
  }
  return writer;
}

/** One connector per channel and process; every call it makes is logged to bank_requests. */
export function connectorFor(db: Knex, channel: BankChannelRow): VaConnector {
  const kind = kindOf(channel);
  const setting = settingReader(channel);
  const fingerprint = kind.settingNames.map((n) => setting(n)).join('\u0000');
  // Keyed by the resolved settings and the concurrency, so a changed credential, URL or limit gets a
  // fresh connector.
  const key = `${channel.id}:${channel.concurrency}:${crypto.createHash('sha256').update(fingerprint).digest('hex')}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const onCall = async (log: BankCallLog) => {
    bankCallDuration.labels(channel.code, log.operation, log.statusCode, log.outcome).observe(log.durationMs / 1000);
    try {
      await callLogOf(db).add({
        bank_channel_id: channel.id,
        operation: log.operation,
        trx_id: log.trxId,
        request: JSON.stringify(log.request ?? null),
        response: JSON.stringify(log.response ?? null),
        status_code: log.statusCode,
        outcome: log.outcome,
        duration_ms: Math.round(log.durationMs),
        error: log.error ?? null,
      });
    } catch (e) {
      logger.error({ err: e, channel: channel.code, operation: log.operation }, 'could not log bank request');
    }
  };
  const created = kind.connector(channel.code, setting, onCall, gateOf(channel));
  cache.set(key, created);
  return created;
}

/** The source addresses a channel accepts notifications from; empty means any. */
export function callbackAllowlist(channel: BankChannelRow): string[] {
  const list = channel.settings.callback_ip_allowlist;
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
}

/** The inbound half of the channel's connector: verifies and decodes its payment notifications. */
export function notificationHandlerFor(channel: BankChannelRow): NotificationHandler {
  return kindOf(channel).notifications(channel.code, settingReader(channel));
}

/** Our token endpoint for the channel's bank, if that bank asks for one. */
export function tokenEndpointFor(channel: BankChannelRow): TokenEndpoint | null {
  return kindOf(channel).tokenEndpoint?.(channel.code, settingReader(channel)) ?? null;
}
