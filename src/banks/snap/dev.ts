import crypto from 'node:crypto';
import { config } from '../../config';
import { resolveSetting } from '../registry';
import type { SnapSimulatorOptions } from './simulator';

/**
 * The SNAP simulator set up as the seeded "Bank Nagari" channel expects: the same client id,
 * secret and company code, our public key to check token requests, and the bank key that signs
 * its notifications (RSA mode).
 */
export function snapSimulatorOptions(callbackUrl: string): SnapSimulatorOptions {
  const c = config();
  const partnerKey = resolveSetting(c.NAGARI_PRIVATE_KEY, 'NAGARI_PRIVATE_KEY');
  return {
    clientId: c.NAGARI_CLIENT_ID,
    clientSecret: c.NAGARI_CLIENT_SECRET,
    partnerPublicKeyPem: crypto.createPublicKey(partnerKey).export({ type: 'spki', format: 'pem' }).toString(),
    partnerServiceId: c.NAGARI_PARTNER_SERVICE_ID,
    callbackUrl,
    notifications: { mode: 'rsa', bankPrivateKeyPem: resolveSetting(c.SNAP_SIM_BANK_PRIVATE_KEY, 'SNAP_SIM_BANK_PRIVATE_KEY') },
  };
}
