import { FormEvent, useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError } from '../api';
import { Field } from '../components/ui';
import { dateTime } from '../format';
import { LANGS, useLang, useT } from '../i18n';
import { homeOf, useSessionState } from '../session';

export function SignIn() {
  const t = useT();
  const { lang, setLang } = useLang();
  const { user, signIn } = useSessionState();
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from;
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);

  if (user) return <Navigate to={homeOf(user.role)} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setMessage(undefined);
    try {
      const u = await signIn(email, password);
      navigate(from && from !== '/sign-in' ? from : homeOf(u.role), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'account_locked') setMessage(t('signIn.locked', { until: dateTime(lang, err.details?.locked_until as string) }));
      else if (err instanceof ApiError && err.code === 'invalid_credentials') {
        const left = err.details?.attempts_left as number | undefined;
        setMessage(left === undefined ? t('signIn.invalid') : t('signIn.invalidLeft', { left }));
      } else if (err instanceof ApiError && err.code === 'rate_limited') setMessage(t('signIn.rateLimited'));
      else setMessage(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="sign-in">
      <form onSubmit={submit} aria-describedby={message ? 'sign-in-message' : undefined}>
        <h1>{t('signIn.title')}</h1>
        <p>{t('signIn.lead')}</p>
        <Field label={t('signIn.email')}>
          <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label={t('signIn.password')}>
          <input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        {message && (
          <p id="sign-in-message" role="alert" className="alert error">
            {message}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t('signIn.submit')}
        </button>
        <label className="lang">
          {t('nav.language')}{' '}
          <select value={lang} onChange={(e) => setLang(e.target.value as (typeof LANGS)[number])}>
            {LANGS.map((l) => (
              <option key={l} value={l}>
                {l === 'id' ? 'Bahasa Indonesia' : 'English'}
              </option>
            ))}
          </select>
        </label>
      </form>
    </main>
  );
}
