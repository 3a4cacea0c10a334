import { FormEvent, useState } from 'react';
import { api, ApiError } from '../../api';
import { DataTable } from '../../components/DataTable';
import { CopyButton, ErrorMessage, Field, Notice, useLoad } from '../../components/ui';
import { dateTime } from '../../format';
import { useLang, useT } from '../../i18n';
import type { ApiKey, WebhookEndpoint } from '../../types';

/** What a provider's own accounting system needs: a webhook for bill events and API keys. */
export function Integration() {
  const t = useT();
  return (
    <>
      <h1>{t('integration.title')}</h1>
      <p>{t('integration.lead')}</p>
      <Webhook />
      <ApiKeys />
    </>
  );
}

function Secret({ label, value }: { label: string; value: string }) {
  const t = useT();
  return (
    <Notice>
      <p>{t('integration.shownOnce')}</p>
      <p>
        {label}: <code className="secret">{value}</code> <CopyButton value={value} label={label} />
      </p>
    </Notice>
  );
}

function Webhook() {
  const t = useT();
  const { lang } = useLang();
  const current = useLoad(
    () =>
      api<WebhookEndpoint>('/webhook-endpoint').catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
    [],
  );
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState<string>();
  const [error, setError] = useState<unknown>();
  async function save(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      const saved = await api<WebhookEndpoint>('/webhook-endpoint', { method: 'PUT', json: { url } });
      setSecret(saved.secret);
      current.reload();
    } catch (err) {
      setError(err);
    }
  }
  async function remove() {
    if (!window.confirm(t('integration.webhookDeleteConfirm'))) return;
    try {
      await api('/webhook-endpoint', { method: 'DELETE' });
      current.reload();
    } catch (err) {
      setError(err);
    }
  }
  const endpoint = current.data;
  return (
    <section aria-labelledby="webhook">
      <h2 id="webhook">{t('integration.webhook')}</h2>
      <p>{t('integration.webhookLead')}</p>
      {endpoint ? (
        <dl className="facts">
          <dt>URL</dt>
          <dd className="mono">{endpoint.url}</dd>
          <dt>{t('bill.status')}</dt>
          <dd>{endpoint.enabled ? t('integration.enabled') : `${t('integration.disabled')}: ${endpoint.disabled_reason ?? ''}`}</dd>
          <dt>{t('integration.updated')}</dt>
          <dd>{dateTime(lang, endpoint.updated_at)}</dd>
        </dl>
      ) : (
        endpoint === null && <p>{t('integration.noWebhook')}</p>
      )}
      {secret && <Secret label={t('integration.signingSecret')} value={secret} />}
      <form onSubmit={save} className="inline">
        <Field label={t('integration.webhookUrl')}>
          <input type="url" required pattern="https?://.+" placeholder="https://erp.example.co.id/kasda/webhooks" value={url} onChange={(e) => setUrl(e.target.value)} />
        </Field>
        <button type="submit">{endpoint ? t('integration.webhookChange') : t('integration.webhookSave')}</button>
        {endpoint && (
          <button type="button" className="danger" onClick={() => void remove()}>
            {t('common.delete')}
          </button>
        )}
      </form>
      <ErrorMessage error={error ?? current.error} />
    </section>
  );
}

function ApiKeys() {
  const t = useT();
  const { lang } = useLang();
  const keys = useLoad(() => api<{ data: ApiKey[] }>('/api-keys'), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<ApiKey>();
  const [error, setError] = useState<unknown>();
  async function create(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      setCreated(await api<ApiKey>('/api-keys', { method: 'POST', json: { name } }));
      setName('');
      keys.reload();
    } catch (err) {
      setError(err);
    }
  }
  async function revoke(k: ApiKey) {
    if (!window.confirm(t('integration.revokeConfirm', { name: k.name }))) return;
    try {
      await api(`/api-keys/${k.id}`, { method: 'DELETE' });
      keys.reload();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <section aria-labelledby="keys">
      <h2 id="keys">{t('integration.apiKeys')}</h2>
      <p>{t('integration.apiKeysLead')}</p>
      <pre className="example">{`curl -s -X POST ${window.location.origin}/api/v1/auth/token \\
  -d grant_type=client_credentials -d client_id=… -d client_secret=…`}</pre>
      {created?.client_secret && (
        <>
          <p>
            client_id: <code>{created.client_id}</code>
          </p>
          <Secret label="client_secret" value={created.client_secret} />
        </>
      )}
      <form onSubmit={create} className="inline">
        <Field label={t('integration.keyName')}>
          <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="SAP finance" />
        </Field>
        <button type="submit">{t('integration.createKey')}</button>
      </form>
      <ErrorMessage error={error ?? keys.error} />
      <DataTable
        caption={t('integration.apiKeys')}
        data={keys.data?.data ?? []}
        columns={[
          { header: t('integration.keyName'), accessorKey: 'name' },
          { header: 'client_id', accessorKey: 'client_id', cell: (c) => <code>{c.getValue<string>()}</code> },
          { header: t('integration.created'), accessorKey: 'created_at', cell: (c) => dateTime(lang, c.getValue<string>()) },
          { header: t('integration.lastUsed'), accessorKey: 'last_used_at', cell: (c) => dateTime(lang, c.getValue<string | null>()) },
          {
            header: t('bill.status'),
            id: 'state',
            cell: (c) =>
              c.row.original.revoked_at ? (
                `${t('integration.revoked')} ${dateTime(lang, c.row.original.revoked_at)}`
              ) : (
                <button type="button" className="danger small" onClick={() => void revoke(c.row.original)}>
                  {t('integration.revoke')}
                </button>
              ),
          },
        ]}
      />
    </section>
  );
}
