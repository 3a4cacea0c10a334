import { useState } from 'react';
import { api, qs } from '../../api';
import { DataTable, numeric } from '../../components/DataTable';
import { ErrorMessage, Field, Loading, ReportDownloads, useLoad } from '../../components/ui';
import { date, rupiah, todayWib } from '../../format';
import { useLang, useT } from '../../i18n';
import type { AgeingBuckets, ArrearsAgeing } from '../../types';

const BUCKETS: Array<keyof AgeingBuckets> = ['not_due', 'days_0_30', 'days_31_90', 'days_91_180', 'days_181_365', 'days_over_365', 'total'];

/** What each payer still owes, by how long past due. */
export function Arrears() {
  const t = useT();
  const { lang } = useLang();
  const [asOf, setAsOf] = useState(todayWib());
  const { data, error, loading } = useLoad(() => api<ArrearsAgeing>(`/reports/arrears-ageing${qs({ as_of: asOf })}`), [asOf]);
  return (
    <>
      <h1>{t('arrears.title')}</h1>
      <div className="filters">
        <Field label={t('arrears.asOf')}>
          <input type="date" value={asOf} onChange={(e) => setAsOf(e.target.value)} />
        </Field>
        <ReportDownloads path="/reports/arrears-ageing" params={{ as_of: asOf }} />
      </div>
      <ErrorMessage error={error} />
      <Loading when={loading} />
      {data && (
        <DataTable
          caption={t('arrears.caption', { date: date(lang, data.as_of) })}
          data={[...data.payers, { ...data.totals, npwrd: '', name: t('arrears.total'), oldest_due_date: '' }]}
          rowClass={(r) => (r.npwrd === '' ? 'totals' : undefined)}
          columns={[
            { header: t('bill.payer'), accessorKey: 'name' },
            { header: 'NPWRD', accessorKey: 'npwrd' },
            { header: t('arrears.bills'), accessorKey: 'bills', ...numeric },
            ...BUCKETS.map((b) => ({ header: t(`arrears.${b}`), accessorKey: b, cell: (c: { getValue: () => unknown }) => rupiah(c.getValue() as number), ...numeric })),
          ]}
        />
      )}
    </>
  );
}
