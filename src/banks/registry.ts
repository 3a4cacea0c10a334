import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { config } from '../config';
import { bankCallDuration } from '../metrics';
import { logger } from '../logger';
import { BniEcollectionConnector } from './bni-ecollection/connector';
import { BniNotificationHandler } from './bni-ecollection/notifications';
import type { BankCallLog, NotificationHandler, VaConnector } from './types';

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

/** Resolves "env:NAME" references so credentials come from the deployment, not the database. */
export function resolveSetting(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new Error(`bank channel setting ${name} is missing`);
  if (!value.startsWith('env:')) return value;
  const key = value.slice(4);
  const fromConfig = (config() as Record<string, unknown>)[key];
  const resolved = typeof fromConfig === 'string' ? fromConfig : process.env[key];
  if (!resolved) throw new Error(`bank channel setting ${name} refers to ${key}, which is not set`);
  return resolved;
}

export function channelSettings(channel: BankChannelRow) {
  const s = channel.settings;
  return {
    baseUrl: resolveSetting(s.base_url, 'base_url'),
    clientId: resolveSetting(s.client_id, 'client_id'),
    secret: resolveSetting(s.secret_key, 'secret_key'),
    prefix: resolveSetting(s.prefix, 'prefix'),
  };
}

/** The VA number for a bill: the channel's prefix and client id, then the bill id as the free digits. */
export function virtualAccountFor(channel: BankChannelRow, billId: number): string {
  const { prefix, clientId } = channelSettings(channel);
  const free = 16 - prefix.length - clientId.length;
  const digits = String(billId);
  if (digits.length > free) throw new Error(`bill id ${billId} does not fit the VA's ${free} free digits`);
  return prefix + clientId + digits.padStart(free, '0');
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

/** One connector per channel and process; every call it makes is logged to bank_requests. */
export function connectorFor(db: Knex, channel: BankChannelRow): VaConnector {
  const settings = channelSettings(channel);
  // Keyed by the resolved settings, so a changed credential or URL gets a fresh connector.
  const key = `${channel.id}:${crypto.createHash('sha256').update(JSON.stringify(settings)).digest('hex')}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const onCall = async (log: BankCallLog) => {
    bankCallDuration
      .labels(channel.code, log.operation, log.statusCode, log.outcome)
      .observe(log.durationMs / 1000);
    try {
      await db('bank_requests').insert({
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
  if (channel.connector !== 'bni_ecollection') {
    throw new Error(`bank channel ${channel.code} uses connector ${channel.connector}, which this build does not have`);
  }
  const created = new BniEcollectionConnector({
    channelCode: channel.code,
    ...settings,
    timeoutMs: config().BNI_TIMEOUT_MS,
    onCall,
  });
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
  if (channel.connector !== 'bni_ecollection') {
    throw new Error(`bank channel ${channel.code} uses connector ${channel.connector}, which this build does not have`);
  }
  const { clientId, secret } = channelSettings(channel);
  return new BniNotificationHandler({ clientId, secret });
}
