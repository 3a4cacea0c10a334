import { useState } from 'react';
import { Link } from 'react-router';
import { api, qs } from '../api';
import { date, rupiah, va } from '../format';
import { useLang, useT } from '../i18n';
import type { BillStatus, BillSummary, Page } from '../types';
import { DataTable, numeric } from './DataTable';
import { CopyButton, ErrorMessage, Field, Loading, StatusBadge, useLoad } from './ui';

const STATUSES: BillStatus[] = ['issued', 'partially_paid', 'paid', 'expired', 'superseded', 'issuing', 'issue_failed', 'draft', 'cancelled'];

/** Bills the caller may see (the API scopes them to the payer or OPD), newest first, page by page. */
export function BillsTable({ base, showPayer }: { base: string; showPayer?: boolean }) {
  const t = useT();
  const { lang } = useLang();
  const [status, setStatus] = useState('');
  const [period, setPeriod] = useState('');
  const [pages, setPages] = useState<BillSummary[][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const first = useLoad(async () => {
    const p = await api<Page<BillSummary>>(`/bills${qs({ status, period: /^\d{4}(-\d{2})?$/.test(period) ? period : undefined, limit: 100 })}`);
    setPages([p.data]);
    setCursor(p.next_cursor);
    return p;
  }, [status, period]);
  const more = async () => {
    const p = await api<Page<BillSummary>>(`/bills${qs({ status, period: /^\d{4}(-\d{2})?$/.test(period) ? period : undefined, limit: 100, cursor })}`);
    setPages((all) => [...all, p.data]);
    setCursor(p.next_cursor);
  };
  const bills = pages.flat();
  return (
    <>
      <div className="filters">
        <Field label={t('bill.status')}>
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">{t('common.all')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('bill.period')} hint={t('bill.periodHint')}>
          <input value={period} onChange={(e) => setPeriod(e.target.value)} inputMode="numeric" pattern="\d{4}(-\d{2})?" />
        </Field>
      </div>
      <ErrorMessage error={first.error} />
      <Loading when={first.loading} />
      <DataTable
        caption={t('bill.listCaption')}
        data={bills}
        columns={[
          { header: t('bill.number'), accessorKey: 'bill_no', cell: (c) => <Link to={`${base}/${c.getValue<string>()}`}>{c.getValue<string>()}</Link> },
          ...(showPayer ? [{ header: t('bill.payer'), id: 'payer', accessorFn: (b: BillSummary) => b.payer.name }] : []),
          { header: t('bill.levy'), accessorKey: 'levy_type' },
          { header: t('bill.period'), accessorKey: 'period' },
          { header: t('bill.status'), accessorKey: 'status', cell: (c) => <StatusBadge status={c.getValue<BillStatus>()} /> },
          { header: t('bill.amount'), accessorKey: 'amount', cell: (c) => rupiah(c.getValue<number>()), ...numeric },
          { header: t('bill.paid'), accessorKey: 'paid_amount', cell: (c) => rupiah(c.getValue<number>()), ...numeric },
          { header: t('bill.dueDate'), accessorKey: 'due_date', cell: (c) => date(lang, c.getValue<string>()) },
          {
            header: t('bill.va'),
            accessorKey: 'virtual_account',
            cell: (c) => {
              const v = c.getValue<string | null>();
              return v ? (
                <span className="va">
                  <span className="mono">{va(v)}</span> <CopyButton value={v} label={`${t('bill.va')} ${c.row.original.bill_no}`} />
                </span>
              ) : (
                '–'
              );
            },
          },
        ]}
      />
      {cursor && (
        <button type="button" className="secondary" onClick={() => void more()}>
          {t('common.more')}
        </button>
      )}
    </>
  );
}
