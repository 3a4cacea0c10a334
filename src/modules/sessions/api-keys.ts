import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { config } from '../../config';
import { AppError, Forbidden, NotFound } from '../../errors';
import { recordAudit } from '../audit/service';
import { Principal, signToken } from '../auth/tokens';

/**
 * A payer's own system (a provider's accounting software) authenticates with an API key: a
 * public `client_id` and a secret shown once, exchanged at `POST /api/v1/auth/token`
 * (client-credentials style) for a payer token of API_KEY_TOKEN_MINUTES. Only a person signed in
 * as the payer manages keys; a system holding a key cannot mint more.
 */
export interface ApiKey {
  id: number;
  name: string;
  client_id: string;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

interface ApiKeyRow {
  id: number;
  payer_id: number;
  name: string;
  client_id: string;
  secret_sha256: string;
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const API_KEY_SUBJECT = 'apikey:';

const toApiKey = (k: ApiKeyRow): ApiKey => ({
  id: k.id,
  name: k.name,
  client_id: k.client_id,
  created_by: k.created_by,
  created_at: k.created_at.toISOString(),
  last_used_at: k.last_used_at?.toISOString() ?? null,
  revoked_at: k.revoked_at?.toISOString() ?? null,
});

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

async function payerId(db: Knex, who: Principal): Promise<number> {
  const payer = await db('payers').where({ npwrd: who.npwrd }).first('id');
  if (!payer) throw new NotFound('payer_not_found', `No payer ${who.npwrd}`);
  return payer.id;
}

function mustBeAPerson(who: Principal): void {
  if (who.sub.startsWith(API_KEY_SUBJECT)) throw new Forbidden('API keys are managed by a person signed in, not with an API key');
}

export async function listApiKeys(db: Knex, who: Principal): Promise<ApiKey[]> {
  const rows: ApiKeyRow[] = await db('api_keys').where({ payer_id: await payerId(db, who) }).orderBy('id', 'desc');
  return rows.map(toApiKey);
}

export async function createApiKey(db: Knex, who: Principal, name: string): Promise<ApiKey & { client_secret: string }> {
  mustBeAPerson(who);
  const clientId = `kasda_${crypto.randomBytes(8).toString('hex')}`;
  const secret = `ksk_${crypto.randomBytes(32).toString('base64url')}`;
  const owner = await payerId(db, who);
  const actor = `${who.role}:${who.sub}`;
  const row = await db.transaction(async (trx) => {
    const [created]: ApiKeyRow[] = await trx('api_keys')
      .insert({ payer_id: owner, name, client_id: clientId, secret_sha256: sha256(secret), created_by: actor })
      .returning('*');
    await recordAudit(trx, { actor, action: 'api_key.created', entityType: 'api_key', entityId: created.id, after: { name, client_id: clientId, payer: who.npwrd } });
    return created;
  });
  return { ...toApiKey(row), client_secret: secret };
}

export async function revokeApiKey(db: Knex, who: Principal, id: number): Promise<void> {
  mustBeAPerson(who);
  const owner = await payerId(db, who);
  const actor = `${who.role}:${who.sub}`;
  await db.transaction(async (trx) => {
    const key: ApiKeyRow | undefined = await trx('api_keys').where({ id, payer_id: owner }).forUpdate().first();
    if (!key) throw new NotFound('api_key_not_found', `No API key ${id}`);
    if (key.revoked_at) return;
    await trx('api_keys').where({ id }).update({ revoked_at: trx.fn.now(), revoked_by: actor });
    await recordAudit(trx, { actor, action: 'api_key.revoked', entityType: 'api_key', entityId: id, after: { client_id: key.client_id } });
  });
}

export class InvalidClient extends AppError {
  constructor() {
    super('invalid_client', 'The client id or secret is wrong, or the key was revoked', 401);
  }
}

export interface AccessToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export async function exchangeApiKey(db: Knex, clientId: string, secret: string): Promise<AccessToken> {
  const key: (ApiKeyRow & { npwrd: string }) | undefined = await db('api_keys as k')
    .join('payers as p', 'p.id', 'k.payer_id')
    .where('k.client_id', clientId)
    .first('k.*', 'p.npwrd');
  const given = Buffer.from(sha256(secret));
  // Compared even for an unknown client id, so the answer takes as long either way.
  const expected = Buffer.from(key?.secret_sha256 ?? sha256(crypto.randomBytes(16).toString('hex')));
  if (!crypto.timingSafeEqual(given, expected) || !key || key.revoked_at) throw new InvalidClient();
  await db('api_keys').where({ id: key.id }).update({ last_used_at: db.fn.now() });
  const minutes = config().API_KEY_TOKEN_MINUTES;
  return {
    access_token: signToken({ sub: `${API_KEY_SUBJECT}${key.client_id}`, role: 'payer', npwrd: key.npwrd }, `${minutes}m`),
    token_type: 'Bearer',
    expires_in: minutes * 60,
  };
}
