import { FormEvent, useEffect, useState } from 'react';
import { api, qs } from '../../api';
import { DataTable, numeric } from '../../components/DataTable';
import { DateRange, ErrorMessage, Field, Notice, useLoad } from '../../components/ui';
import { dateTime, rupiah, todayWib } from '../../format';
import { useLang, useT } from '../../i18n';
import { useUser } from '../../session';
import type { BankChannel, Page, ReconciliationException, ResolutionAction, ResolutionReport, StatementRun } from '../../types';

/** The actions the API allows per outcome (openapi: resolveReconciliationException). */
const ACTIONS: Record<ReconciliationException['outcome'], ResolutionAction[]> = {
  missing_in_system: ['link_to_bill', 'mark_refund', 'write_off'],
  amount_mismatch: ['accept_difference', 'mark_refund', 'write_off'],
  duplicate: ['accept_difference', 'mark_refund', 'write_off'],
  missing_in_bank: ['accept_difference', 'write_off'],
};

export function Reconciliation() {
  const t = useT();
  const user = useUser();
  const canWrite = user.role !== 'auditor';
  const [run, setRun] = useState<StatementRun>();
  return (
    <>
      <h1>{t('recon.title')}</h1>
      {canWrite && <Upload onRun={setRun} />}
      {run && <RunView initial={run} />}
      <Exceptions runId={run?.status === 'completed' ? run.id : undefined} canWrite={canWrite} />
    </>
  );
}

function Upload({ onRun }: { onRun: (r: StatementRun) => void }) {
  const t = useT();
  const channels = useLoad(() => api<{ data: BankChannel[] }>('/bank-channels'), []);
  const [channel, setChannel] = useState('');
  const [from, setFrom] = useState(todayWib());
  const [to, setTo] = useState(todayWib());
  const [format, setFormat] = useState('canonical');
  const [file, setFile] = useState<File>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setError(undefined);
    setBusy(true);
    try {
      const form = new FormData();
      form.append('file', file);
      onRun(await api<StatementRun>(`/reconciliation/statements${qs({ channel: channel || channels.data?.data[0]?.code, from, to, format })}`, { method: 'POST', body: form }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="upload">
      <h2 id="upload">{t('recon.upload')}</h2>
      <form onSubmit={submit} className="grid-form">
        <Field label={t('recon.channel')}>
          <select value={channel} onChange={(e) => setChannel(e.target.value)} required>
            {(channels.data?.data ?? []).map((c) => (
              <option key={c.code} value={c.code}>
                {c.name}
              </option>
            ))}
          </select>
        </Field>
        <DateRange from={from} to={to} onFrom={setFrom} onTo={setTo} required />
        <Field label={t('recon.format')}>
          <select value={format} onChange={(e) => setFormat(e.target.value)}>
            <option value="canonical">Kasda CSV</option>
            <option value="bni-csv">BNI CSV</option>
            <option value="mt940">MT940</option>
          </select>
        </Field>
        <Field label={t('recon.file')}>
          <input type="file" accept=".csv,.txt,.sta,.940,text/csv,text/plain" required onChange={(e) => setFile(e.target.files?.[0])} />
        </Field>
        <button type="submit" disabled={busy}>
          {t('recon.uploadSubmit')}
        </button>
      </form>
      <ErrorMessage error={error} />
    </section>
  );
}

/** Polls the run until matching is done, then shows its counts and rejected rows. */
function RunView({ initial }: { initial: StatementRun }) {
  const t = useT();
  const [run, setRun] = useState(initial);
  useEffect(() => {
    setRun(initial);
    if (initial.status !== 'loaded') return;
    const timer = setInterval(() => {
      void api<StatementRun>(`/reconciliation/runs/${initial.id}`).then((r) => {
        setRun(r);
        if (r.status !== 'loaded') clearInterval(timer);
      });
    }, 500);
    return () => clearInterval(timer);
  }, [initial]);
  const o = run.outcomes;
  return (
    <section aria-labelledby="run" aria-live="polite">
      <h2 id="run">{t('recon.run')}</h2>
      {run.reimported && <Notice>{t('recon.reimported')}</Notice>}
      <p>
        {t('recon.runStatus')}: <strong data-testid="run-status">{t(`recon.status.${run.status}`)}</strong> · {t('recon.linesLoaded', { loaded: run.lines.loaded, rejected: run.lines.rejected, skipped: run.lines.skipped })}
      </p>
      {run.error && <p className="alert error">{run.error}</p>}
      {o && (
        <dl className="counts">
          {(['matched', 'missing_in_system', 'amount_mismatch', 'duplicate'] as const).map((k) => (
            <div key={k}>
              <dt>{t(`outcome.${k}`)}</dt>
              <dd>{o.lines[k]}</dd>
            </div>
          ))}
          <div>
            <dt>{t('outcome.missing_in_bank')}</dt>
            <dd>{o.payments.missing_in_bank}</dd>
          </div>
          <div>
            <dt>{t('outcome.pending')}</dt>
            <dd>{o.payments.pending}</dd>
          </div>
        </dl>
      )}
      {run.rejected.length > 0 && (
        <DataTable caption={t('recon.rejected')} data={run.rejected} columns={[{ header: t('recon.line'), accessorKey: 'row' }, { header: t('recon.reason'), accessorKey: 'reason' }]} />
      )}
    </section>
  );
}

function Exceptions({ runId, canWrite }: { runId?: string; canWrite: boolean }) {
  const t = useT();
  const { lang } = useLang();
  const [status, setStatus] = useState<'open' | 'resolved' | ''>('open');
  const list = useLoad(() => api<Page<ReconciliationException>>(`/reconciliation/exceptions${qs({ status, limit: 500 })}`), [status, runId]);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [action, setAction] = useState<ResolutionAction>('accept_difference');
  const [reason, setReason] = useState('');
  const [billNo, setBillNo] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const [report, setReport] = useState<ResolutionReport>();
  const rows = list.data?.data ?? [];

  async function resolve(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    setDone(undefined);
    let resolved = 0;
    try {
      for (const id of selected) {
        await api(`/reconciliation/exceptions/${id}/resolve`, { method: 'POST', json: { action, reason, ...(action === 'link_to_bill' && billNo ? { bill_no: billNo } : {}) } });
        resolved++;
      }
      setSelected(new Set());
      setReason('');
    } catch (err) {
      setError(err);
    } finally {
      setDone(t('recon.resolvedCount', { n: resolved }));
      list.reload();
    }
  }

  async function importCsv(file: File) {
    setError(undefined);
    try {
      setReport(await api<ResolutionReport>('/reconciliation/exceptions/resolutions', { method: 'POST', body: await file.text(), contentType: 'text/csv' }));
      list.reload();
    } catch (err) {
      setError(err);
    }
  }

  const toggle = (id: number) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const value = (x: ReconciliationException, side: 'bank' | 'kasda', field: 'amount' | 'virtual_account') => {
    const d = x.difference;
    const raw = d && d.field === field ? d[side] : field === 'amount' ? x.amount : x.virtual_account;
    const shown = raw === null || raw === undefined ? '–' : field === 'amount' ? rupiah(Number(raw)) : String(raw);
    return d?.field === field ? <mark title={t('recon.differs')}>{shown}</mark> : shown;
  };

  return (
    <section aria-labelledby="exceptions">
      <h2 id="exceptions">{t('recon.exceptions')}</h2>
      <div className="filters">
        <Field label={t('bill.status')}>
          <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
            <option value="open">{t('recon.open')}</option>
            <option value="resolved">{t('recon.resolved')}</option>
            <option value="">{t('common.all')}</option>
          </select>
        </Field>
        <a className="button secondary" href={`/api/v1/reconciliation/exceptions.csv${qs({ status })}`} download>
          {t('recon.exportCsv')}
        </a>
        {canWrite && (
          <Field label={t('recon.importCsv')}>
            <input type="file" accept=".csv,text/csv" onChange={(e) => e.target.files?.[0] && void importCsv(e.target.files[0])} />
          </Field>
        )}
      </div>
      {report && (
        <Notice>
          {t('recon.importReport', { resolved: report.resolved, unchanged: report.unchanged, skipped: report.skipped, rejected: report.rejected.length })}
          {report.rejected.length > 0 && (
            <ul>
              {report.rejected.map((r) => (
                <li key={r.row}>
                  {t('recon.row')} {r.row}: {r.reason} ({r.code})
                </li>
              ))}
            </ul>
          )}
        </Notice>
      )}
      <ErrorMessage error={error ?? list.error} />
      {done && <Notice>{done}</Notice>}
      <DataTable
        caption={t('recon.exceptions')}
        data={rows}
        rowClass={(x) => (selected.has(x.id) ? 'selected' : undefined)}
        empty={t('recon.none')}
        columns={[
          ...(canWrite
            ? [
                {
                  header: t('recon.select'),
                  id: 'select',
                  cell: ({ row }: { row: { original: ReconciliationException } }) =>
                    row.original.status === 'open' ? (
                      <input type="checkbox" aria-label={`${t('recon.select')} ${row.original.id}`} checked={selected.has(row.original.id)} onChange={() => toggle(row.original.id)} />
                    ) : null,
                },
              ]
            : []),
          { header: '#', accessorKey: 'id' },
          { header: t('recon.outcome'), accessorKey: 'outcome', cell: (c) => t(`outcome.${c.getValue<ReconciliationException['outcome']>()}`) },
          { header: t('recon.when'), accessorKey: 'occurred_at', cell: (c) => dateTime(lang, c.getValue<string | null>()) },
          { header: 'NTB', accessorKey: 'bank_reference', cell: (c) => c.getValue<string | null>() ?? '–' },
          { header: `VA (${t('recon.bank')})`, id: 'va_bank', cell: (c) => value(c.row.original, 'bank', 'virtual_account') },
          { header: `${t('bill.amount')} (${t('recon.bank')})`, id: 'amount_bank', cell: (c) => value(c.row.original, 'bank', 'amount'), ...numeric },
          { header: `${t('bill.amount')} (Kasda)`, id: 'amount_kasda', cell: (c) => value(c.row.original, 'kasda', 'amount'), ...numeric },
          { header: t('bill.number'), accessorKey: 'bill_no', cell: (c) => c.getValue<string | null>() ?? '–' },
          {
            header: t('recon.resolution'),
            id: 'resolution',
            cell: (c) => {
              const r = c.row.original.resolution;
              return r ? (
                <span className="audit">
                  {t(`action.${r.action}`)} — “{r.reason}” — {r.by}, {dateTime(lang, r.at)}
                </span>
              ) : (
                t('recon.open')
              );
            },
          },
        ]}
      />
      {canWrite && (
        <form onSubmit={resolve} className="grid-form" aria-labelledby="resolve-title">
          <h3 id="resolve-title">{t('recon.resolveTitle', { n: selected.size })}</h3>
          <Field label={t('recon.action')}>
            <select value={action} onChange={(e) => setAction(e.target.value as ResolutionAction)}>
              {(['accept_difference', 'link_to_bill', 'mark_refund', 'write_off'] as const).map((a) => (
                <option key={a} value={a} disabled={[...selected].some((id) => !ACTIONS[rows.find((r) => r.id === id)?.outcome ?? 'duplicate'].includes(a))}>
                  {t(`action.${a}`)}
                </option>
              ))}
            </select>
          </Field>
          {action === 'link_to_bill' && (
            <Field label={t('bill.number')} hint={t('recon.billHint')}>
              <input value={billNo} onChange={(e) => setBillNo(e.target.value)} />
            </Field>
          )}
          <Field label={t('recon.reason')}>
            <textarea required minLength={3} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
          </Field>
          <button type="submit" disabled={selected.size === 0}>
            {t('recon.resolve')}
          </button>
        </form>
      )}
    </section>
  );
}
