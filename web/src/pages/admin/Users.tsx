import { FormEvent, useState } from 'react';
import { api } from '../../api';
import { DataTable } from '../../components/DataTable';
import { ErrorMessage, Field, Notice, useLoad } from '../../components/ui';
import { dateTime } from '../../format';
import { useLang, useT } from '../../i18n';
import { useUser } from '../../session';
import type { Role, User } from '../../types';

const ROLES: Role[] = ['payer', 'finance', 'opd_admin', 'auditor', 'admin'];

/** Users and their roles; only an admin sees this page, and the API checks again. */
export function AdminUsers() {
  const t = useT();
  const { lang } = useLang();
  const me = useUser();
  const users = useLoad(() => api<{ data: User[] }>('/users'), []);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const change = async (u: User, body: Record<string, unknown>, message: string) => {
    setError(undefined);
    try {
      await api(`/users/${u.id}`, { method: 'PATCH', json: body });
      setNotice(message);
      users.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <h1>{t('users.title')}</h1>
      <NewUser
        onCreated={(u) => {
          setNotice(t('users.created', { email: u.email }));
          users.reload();
        }}
      />
      {notice && <Notice>{notice}</Notice>}
      <ErrorMessage error={error ?? users.error} />
      <DataTable
        caption={t('users.title')}
        data={users.data?.data ?? []}
        columns={[
          { header: 'E-mail', accessorKey: 'email' },
          { header: t('levy.name'), accessorKey: 'name' },
          {
            header: t('users.role'),
            accessorKey: 'role',
            cell: (c) => {
              const u = c.row.original;
              return (
                <select
                  aria-label={`${t('users.role')} ${u.email}`}
                  value={u.role}
                  disabled={u.id === me.id}
                  onChange={(e) => {
                    const role = e.target.value as Role;
                    const scope = role === 'payer' ? { payer: window.prompt(t('users.askNpwrd')) } : role === 'opd_admin' ? { opd: window.prompt(t('users.askOpd')) } : { payer: null, opd: null };
                    void change(u, { role, ...scope }, t('users.changed', { email: u.email }));
                  }}
                >
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {t(`role.${r}`)}
                    </option>
                  ))}
                </select>
              );
            },
          },
          { header: t('users.scope'), id: 'scope', accessorFn: (u) => u.payer?.npwrd ?? u.opd?.code ?? '–' },
          { header: t('users.lastSignIn'), accessorKey: 'last_sign_in_at', cell: (c) => dateTime(lang, c.getValue<string | null>()) },
          {
            header: t('bill.status'),
            id: 'state',
            accessorFn: (u) => (u.disabled ? t('users.disabled') : u.locked_until ? t('users.locked') : t('users.active')),
          },
          {
            header: t('users.actions'),
            id: 'actions',
            cell: (c) => {
              const u = c.row.original;
              return (
                <span className="actions">
                  {u.locked_until && (
                    <button type="button" className="small" onClick={() => void change(u, { unlock: true }, t('users.unlocked', { email: u.email }))}>
                      {t('users.unlock')}
                    </button>
                  )}
                  {u.id !== me.id && (
                    <button type="button" className="small secondary" onClick={() => void change(u, { disabled: !u.disabled }, t('users.changed', { email: u.email }))}>
                      {u.disabled ? t('users.enable') : t('users.disable')}
                    </button>
                  )}
                  <button
                    type="button"
                    className="small secondary"
                    onClick={() => {
                      const password = window.prompt(t('users.askPassword'));
                      if (password) void change(u, { password }, t('users.changed', { email: u.email }));
                    }}
                  >
                    {t('users.resetPassword')}
                  </button>
                </span>
              );
            },
          },
        ]}
      />
    </>
  );
}

function NewUser({ onCreated }: { onCreated: (u: User) => void }) {
  const t = useT();
  const empty = { email: '', name: '', role: 'finance' as Role, payer: '', opd: '', password: '' };
  const [u, setU] = useState(empty);
  const [error, setError] = useState<unknown>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      const created = await api<User>('/users', {
        method: 'POST',
        json: { email: u.email, name: u.name, role: u.role, password: u.password, ...(u.role === 'payer' ? { payer: u.payer } : {}), ...(u.role === 'opd_admin' ? { opd: u.opd } : {}) },
      });
      setU(empty);
      onCreated(created);
    } catch (err) {
      setError(err);
    }
  }
  const field = (k: keyof typeof empty) => (e: { target: { value: string } }) => setU((x) => ({ ...x, [k]: e.target.value }));
  return (
    <section aria-labelledby="new-user">
      <h2 id="new-user">{t('users.new')}</h2>
      <form onSubmit={submit} className="grid-form">
        <Field label="E-mail">
          <input type="email" required value={u.email} onChange={field('email')} autoComplete="off" />
        </Field>
        <Field label={t('levy.name')}>
          <input required value={u.name} onChange={field('name')} />
        </Field>
        <Field label={t('users.role')}>
          <select value={u.role} onChange={field('role')}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </Field>
        {u.role === 'payer' && (
          <Field label="NPWRD">
            <input required value={u.payer} onChange={field('payer')} />
          </Field>
        )}
        {u.role === 'opd_admin' && (
          <Field label={t('users.opdCode')}>
            <input required value={u.opd} onChange={field('opd')} />
          </Field>
        )}
        <Field label={t('signIn.password')} hint={t('users.passwordHint')}>
          <input type="password" required minLength={12} value={u.password} onChange={field('password')} autoComplete="new-password" />
        </Field>
        <button type="submit">{t('users.create')}</button>
      </form>
      <ErrorMessage error={error} />
    </section>
  );
}
