import { Link } from 'react-router';
import { api } from '../../api';
import { DataTable } from '../../components/DataTable';
import { ErrorMessage, Loading, useLoad } from '../../components/ui';
import { date } from '../../format';
import { useLang, useT } from '../../i18n';
import type { LevyType } from '../../types';

export function LevyTypes() {
  const t = useT();
  const { lang } = useLang();
  const { data, error, loading } = useLoad(() => api<{ data: LevyType[] }>('/levy-types'), []);
  return (
    <>
      <h1>{t('levy.title')}</h1>
      <p>
        <Link className="button" to="/opd/levy-types/new">
          {t('levy.new')}
        </Link>
      </p>
      <ErrorMessage error={error} />
      <Loading when={loading} />
      <DataTable
        caption={t('levy.title')}
        data={data?.data ?? []}
        columns={[
          { header: t('levy.code'), accessorKey: 'code', cell: (c) => <Link to={`/opd/levy-types/${c.getValue<string>()}`}>{c.getValue<string>()}</Link> },
          { header: t('levy.name'), accessorKey: 'name' },
          { header: t('levy.kind'), accessorKey: 'kind' },
          { header: 'OPD', id: 'opd', accessorFn: (l) => l.opd.code },
          { header: t('levy.version'), id: 'version', accessorFn: (l) => l.version.version },
          { header: t('levy.effectiveFrom'), id: 'effective', accessorFn: (l) => l.version.effective_from, cell: (c) => date(lang, c.getValue<string>()) },
          { header: t('levy.tariff'), id: 'tariff', accessorFn: (l) => String(l.version.tariff_rule.kind ?? '') },
          { header: t('levy.period'), id: 'period', accessorFn: (l) => l.version.period_kind },
        ]}
      />
    </>
  );
}
