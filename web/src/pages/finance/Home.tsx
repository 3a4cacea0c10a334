import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, qs } from '../../api';
import { DataTable, numeric } from '../../components/DataTable';
import { ErrorMessage, Loading, useLoad } from '../../components/ui';
import { date, percent, rupiah, todayWib } from '../../format';
import { useLang, useT } from '../../i18n';
import type { DailyRecap, Realisation } from '../../types';

interface Group {
  key: string;
  label: string;
  payments: number;
  amount: number;
}

/** Sums the recap's revenue rows by one of its columns. */
function groupBy(rows: DailyRecap['rows'], key: (r: DailyRecap['rows'][number]) => [string, string]): Group[] {
  const groups = new Map<string, Group>();
  for (const r of rows) {
    if (r.kind !== 'pendapatan') continue;
    const [k, label] = key(r);
    const g = groups.get(k) ?? { key: k, label, payments: 0, amount: 0 };
    g.payments += r.payments;
    g.amount += r.amount;
    groups.set(k, g);
  }
  return [...groups.values()].sort((a, b) => b.amount - a.amount);
}

/** Finance's day: today's receipts three ways, the month so far, the year against target. */
export function FinanceHome() {
  const t = useT();
  const { lang } = useLang();
  const today = todayWib();
  const monthStart = `${today.slice(0, 8)}01`;
  const { data, error, loading } = useLoad(
    () =>
      Promise.all([
        api<DailyRecap>(`/reports/daily-recap${qs({ from: monthStart, to: today })}`),
        api<Realisation>(`/reports/realisation${qs({ year: Number(today.slice(0, 4)) })}`),
      ]),
    [today],
  );
  const [month, realisation] = data ?? [];
  const todays = month?.rows.filter((r) => r.date === today) ?? [];
  const perDay = new Map<string, number>();
  for (const r of month?.rows ?? []) if (r.kind === 'pendapatan') perDay.set(r.date, (perDay.get(r.date) ?? 0) + r.amount);
  const chart = [...perDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([d, amount]) => ({ day: d.slice(8), amount }));
  const groupTable = (caption: string, groups: Group[], header: string) => (
    <DataTable
      caption={caption}
      data={groups}
      empty={t('finance.noReceipts')}
      columns={[
        { header, accessorKey: 'label' },
        { header: t('finance.payments'), accessorKey: 'payments', ...numeric },
        { header: t('bill.amount'), accessorKey: 'amount', cell: (c) => rupiah(c.getValue<number>()), ...numeric },
      ]}
    />
  );
  return (
    <>
      <h1>{t('finance.title', { date: date(lang, today) })}</h1>
      <ErrorMessage error={error} />
      <Loading when={loading} />
      {month && (
        <>
          <p className="total">
            {t('finance.todayTotal')}: <strong>{rupiah(groupBy(todays, () => ['all', '']).reduce((s, g) => s + g.amount, 0))}</strong>
          </p>
          <div className="grid3">
            {groupTable(t('finance.byAccount'), groupBy(todays, (r) => [r.account_code ?? '', r.account_code ?? '']), t('bill.accountCode'))}
            {groupTable(t('finance.byOpd'), groupBy(todays, (r) => [r.opd_code, r.opd_name]), 'OPD')}
            {groupTable(t('finance.byBank'), groupBy(todays, (r) => [r.channel_code, r.channel_name]), t('finance.bank'))}
          </div>
          <section aria-labelledby="month">
            <h2 id="month">{t('finance.month')}</h2>
            <p className="visually-hidden">{t('finance.chartSummary', { total: rupiah(month.totals.revenue), days: chart.length })}</p>
            <div className="chart" aria-hidden="true">
              <ResponsiveContainer width="100%" height={240}>
                <BarChart data={chart}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="day" />
                  <YAxis tickFormatter={(v: number) => `${Math.round(v / 1e6)} jt`} width={60} />
                  <Tooltip formatter={(v) => rupiah(Number(v))} labelFormatter={(d) => `${d}/${today.slice(5, 7)}`} />
                  <Bar dataKey="amount" name={t('bill.amount')} fill="#0b5d4b" />
                </BarChart>
              </ResponsiveContainer>
            </div>
          </section>
        </>
      )}
      {realisation && (
        <section aria-labelledby="realisation">
          <h2 id="realisation">{t('finance.realisation', { year: realisation.year })}</h2>
          <DataTable
            caption={t('finance.realisation', { year: realisation.year })}
            data={realisation.levy_types}
            columns={[
              { header: t('bill.levy'), accessorKey: 'name' },
              { header: 'OPD', accessorKey: 'opd_code' },
              { header: t('finance.target'), accessorKey: 'target', cell: (c) => (c.getValue<number | null>() === null ? '–' : rupiah(c.getValue<number>())), ...numeric },
              { header: t('finance.realised'), accessorKey: 'realised', cell: (c) => rupiah(c.getValue<number>()), ...numeric },
              {
                header: '%',
                accessorKey: 'percent_of_target',
                cell: (c) => {
                  const p = c.getValue<number | null>();
                  return p === null ? '–' : (
                    <span className="meter">
                      <meter min={0} max={100} value={Math.min(p, 100)} aria-label={`${c.row.original.name} ${percent(lang, p)}`} /> {percent(lang, p)}
                    </span>
                  );
                },
                ...numeric,
              },
            ]}
          />
        </section>
      )}
    </>
  );
}
