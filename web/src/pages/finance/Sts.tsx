import { useState } from 'react';
import { api, qs } from '../../api';
import { DataTable, numeric } from '../../components/DataTable';
import { DateRange, Download, ErrorMessage, Field, Loading, Notice, useLoad } from '../../components/ui';
import { date, rupiah, todayWib } from '../../format';
import { useLang, useT } from '../../i18n';
import { useUser } from '../../session';
import type { StsSummary } from '../../types';

/** The register of deposit slips (STS), and making the day's. */
export function StsRegister() {
  const t = useT();
  const { lang } = useLang();
  const user = useUser();
  const today = todayWib();
  const [from, setFrom] = useState(`${today.slice(0, 8)}01`);
  const [to, setTo] = useState(today);
  const [day, setDay] = useState(today);
  const [error, setError] = useState<unknown>();
  const [made, setMade] = useState<string>();
  const list = useLoad(() => api<{ data: StsSummary[] }>(`/treasury/sts${qs({ from, to })}`), [from, to]);
  async function make() {
    setError(undefined);
    try {
      const r = await api<{ created: StsSummary[]; existing: StsSummary[] }>('/treasury/sts', { method: 'POST', json: { date: day } });
      setMade(t('sts.made', { created: r.created.length, existing: r.existing.length }));
      list.reload();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <>
      <h1>{t('sts.title')}</h1>
      <div className="filters">
        <DateRange from={from} to={to} onFrom={setFrom} onTo={setTo} />
      </div>
      {(user.role === 'finance' || user.role === 'admin') && (
        <div className="filters">
          <Field label={t('sts.day')}>
            <input type="date" value={day} max={today} onChange={(e) => setDay(e.target.value)} />
          </Field>
          <button type="button" onClick={() => void make()}>
            {t('sts.make')}
          </button>
        </div>
      )}
      {made && <Notice>{made}</Notice>}
      <ErrorMessage error={error ?? list.error} />
      <Loading when={list.loading} />
      <DataTable
        caption={t('sts.title')}
        data={list.data?.data ?? []}
        columns={[
          { header: t('sts.number'), accessorKey: 'sts_no' },
          { header: t('sts.date'), accessorKey: 'date', cell: (c) => date(lang, c.getValue<string>()) },
          { header: 'OPD', id: 'opd', accessorFn: (s) => s.opd.code },
          { header: t('finance.bank'), id: 'bank', accessorFn: (s) => s.bank_channel.name },
          { header: t('finance.payments'), accessorKey: 'payment_count', ...numeric },
          { header: t('sts.revenue'), accessorKey: 'revenue_amount', cell: (c) => rupiah(c.getValue<number>()), ...numeric },
          { header: t('sts.credit'), accessorKey: 'credit_amount', cell: (c) => rupiah(c.getValue<number>()), ...numeric },
          { header: t('sts.total'), accessorKey: 'total_amount', cell: (c) => rupiah(c.getValue<number>()), ...numeric },
          { header: 'PDF', id: 'pdf', cell: (c) => <Download href={`/treasury/sts/${c.row.original.sts_no}.pdf`}>PDF</Download> },
        ]}
      />
    </>
  );
}
