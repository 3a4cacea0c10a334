import { config } from '../../config';
import type { BankKind } from '../types';
import { BniEcollectionConnector } from './connector';
import { BniNotificationHandler } from './notifications';

/**
 * BNI eCollection channels. Settings: base_url, client_id, secret_key, prefix (usually `env:`
 * references), and optionally callback_ip_allowlist. VA = prefix + client id + the bill id.
 */
export const bniEcollection: BankKind = {
  settingNames: ['base_url', 'client_id', 'secret_key', 'prefix'],
  connector(channelCode, setting, onCall, gate) {
    return new BniEcollectionConnector({
      channelCode,
      baseUrl: setting('base_url'),
      clientId: setting('client_id'),
      secret: setting('secret_key'),
      prefix: setting('prefix'),
      timeoutMs: config().BNI_TIMEOUT_MS,
      onCall,
      gate,
    });
  },
  notifications(_channelCode, setting) {
    return new BniNotificationHandler({ clientId: setting('client_id'), secret: setting('secret_key') });
  },
  virtualAccount(setting, billId) {
    const prefix = setting('prefix');
    const clientId = setting('client_id');
    const free = 16 - prefix.length - clientId.length;
    const digits = String(billId);
    if (digits.length > free) throw new Error(`bill id ${billId} does not fit the VA's ${free} free digits`);
    return prefix + clientId + digits.padStart(free, '0');
  },
};
