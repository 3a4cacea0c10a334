import { NavLink, Outlet, useNavigate } from 'react-router';
import { LANGS, useLang, useT } from '../i18n';
import { SECTIONS, useSessionState, useUser } from '../session';

/** The frame of every signed-in page: who is signed in, the sections the role may open, language. */
export function Layout() {
  const t = useT();
  const user = useUser();
  const { signOut } = useSessionState();
  const { lang, setLang } = useLang();
  const navigate = useNavigate();
  const may = (section: keyof typeof SECTIONS) => SECTIONS[section].includes(user.role);
  const links: Array<[string, string, boolean]> = [
    ['/payer/bills', t('nav.payerBills'), may('payer')],
    ['/payer/integration', t('nav.integration'), may('payer')],
    ['/finance', t('nav.receipts'), may('finance')],
    ['/finance/reconciliation', t('nav.reconciliation'), may('finance')],
    ['/finance/sts', t('nav.sts'), may('finance')],
    ['/finance/arrears', t('nav.arrears'), may('finance')],
    ['/finance/reports', t('nav.reports'), may('finance')],
    ['/opd/levy-types', t('nav.levyTypes'), may('opd')],
    ['/opd/objects', t('nav.objects'), may('opd')],
    ['/opd/bills', t('nav.opdBills'), may('opd')],
    ['/admin/users', t('nav.users'), may('admin')],
    ['/admin/channels', t('nav.channels'), may('admin')],
  ];
  return (
    <>
      <a className="skip" href="#main">
        {t('nav.skip')}
      </a>
      <header className="top">
        <div className="brand">
          <strong>Kasda</strong> <span>{t('app.city')}</span>
        </div>
        <div className="who">
          <span>
            {user.name} · {t(`role.${user.role}`)}
            {user.payer ? ` · ${user.payer.name}` : ''}
            {user.opd ? ` · ${user.opd.code}` : ''}
          </span>
          <label className="lang">
            <span className="visually-hidden">{t('nav.language')}</span>
            <select value={lang} onChange={(e) => setLang(e.target.value as (typeof LANGS)[number])} aria-label={t('nav.language')}>
              {LANGS.map((l) => (
                <option key={l} value={l}>
                  {l === 'id' ? 'Bahasa Indonesia' : 'English'}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="secondary small"
            onClick={() => {
              void signOut().then(() => navigate('/sign-in'));
            }}
          >
            {t('nav.signOut')}
          </button>
        </div>
        <nav aria-label={t('nav.main')}>
          <ul>
            {links
              .filter(([, , shown]) => shown)
              .map(([to, label]) => (
                <li key={to}>
                  <NavLink to={to} end={to === '/finance'}>
                    {label}
                  </NavLink>
                </li>
              ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
