import { config } from '../../config';
import type { BankKind, SettingReader } from '../types';
import { SnapVaConnector } from './connector';
import { SnapNotificationHandler, snapTokenEndpoint, SnapVerification } from './notifications';

/** Digits of the bill id after the company code in a SNAP VA number (customerNo). */
const CUSTOMER_NO_DIGITS = 10;

/**
 * SNAP BI channels. Settings: base_url, client_id, client_secret, private_key, partner_service_id,
 * channel_id; how the bank's notifications are verified: notification_mode `rsa` (bank_public_key)
 * or `hmac` (notification_secret, and bank_client_key + bank_public_key + token_secret when the bank
 * first asks us for a token). Values may be `env:` or `file:` references.
 */
export const snap: BankKind = {
  settingNames: ['base_url', 'client_id', 'client_secret', 'private_key', 'partner_service_id', 'channel_id'],
  connector(channelCode, setting, onCall, gate) {
    return new SnapVaConnector({
      channelCode,
      baseUrl: setting('base_url'),
      clientId: setting('client_id'),
      clientSecret: setting('client_secret'),
      privateKeyPem: setting('private_key'),
      partnerServiceId: setting('partner_service_id'),
      channelId: setting('channel_id'),
      timeoutMs: config().SNAP_TIMEOUT_MS,
      onCall,
      gate,
    });
  },
  notifications(channelCode, setting) {
    const mode = setting('notification_mode');
    let verification: SnapVerification;
    if (mode === 'rsa') {
      verification = { mode: 'rsa', bankPublicKeyPem: setting('bank_public_key') };
    } else if (mode === 'hmac') {
      const tokens = tokensFor(channelCode, setting);
      verification = {
        mode: 'hmac',
        clientSecret: setting('notification_secret'),
        ...(tokens ? { acceptedTokens: (t: string) => tokens.acceptsToken(t) } : {}),
      };
    } else {
      throw new Error(`bank channel ${channelCode}: notification_mode must be rsa or hmac`);
    }
    return new SnapNotificationHandler({ channelCode, partnerServiceId: setting('partner_service_id'), verification });
  },
  virtualAccount(setting, billId) {
    const digits = String(billId);
    if (digits.length > CUSTOMER_NO_DIGITS) throw new Error(`bill id ${billId} does not fit a ${CUSTOMER_NO_DIGITS}-digit customer number`);
    return setting('partner_service_id').trim() + digits.padStart(CUSTOMER_NO_DIGITS, '0');
  },
  tokenEndpoint: tokensFor,
};

/** Our token endpoint, for a bank that asks for a token before it notifies (bank_client_key set). */
function tokensFor(channelCode: string, setting: SettingReader) {
  let bankClientKey: string;
  try {
    bankClientKey = setting('bank_client_key');
  } catch {
    return null;
  }
  return snapTokenEndpoint({
    channelCode,
    bankClientKey,
    bankPublicKeyPem: setting('bank_public_key'),
    tokenSecret: setting('token_secret'),
  });
}
