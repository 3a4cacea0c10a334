import { useState } from 'react';
import { api, qs } from '../../api';
import { DataTable } from '../../components/DataTable';
import { ErrorMessage, Field, Loading, Notice, useLoad } from '../../components/ui';
import { useT } from '../../i18n';
import type { ImportReport, LevyObject, LevyType, Page, Payer } from '../../types';

/** Payers and the objects of a levy, and loading both from the OPD's spreadsheets. */
export function ObjectsPage() {
  const t = useT();
  const levyTypes = useLoad(() => api<{ data: LevyType[] }>('/levy-types'), []);
  // The first levy until one is chosen, derived rather than set by an effect: an effect that set it
  // after the list arrived could overwrite a choice made in between.
  const [chosen, setLevy] = useState('');
  const levy = chosen || (levyTypes.data?.data[0]?.code ?? '');
  const objects = useLoad(() => (levy ? api<Page<LevyObject>>(`/objects${qs({ levy_type: levy, limit: 500 })}`) : Promise.resolve(undefined)), [levy]);
  const payers = useLoad(() => api<Page<Payer>>('/payers?limit=500'), []);
  return (
    <>
      <h1>{t('objects.title')}</h1>
      <Field label={t('bill.levy')}>
        <select value={levy} onChange={(e) => setLevy(e.target.value)}>
          {(levyTypes.data?.data ?? []).map((l) => (
            <option key={l.code} value={l.code}>
              {l.name} ({l.code})
            </option>
          ))}
        </select>
      </Field>
      <CsvImport
        title={t('objects.importObjects')}
        hint={t('objects.importObjectsHint')}
        disabled={!levy}
        send={(csv) => api<ImportReport>(`/objects/imports${qs({ levy_type: levy })}`, { method: 'POST', body: csv, contentType: 'text/csv' })}
        done={objects.reload}
      />
      <ErrorMessage error={objects.error} />
      <Loading when={objects.loading} />
      <DataTable
        caption={t('objects.objects')}
        data={objects.data?.data ?? []}
        columns={[
          { header: t('objects.code'), accessorKey: 'code' },
          { header: t('levy.name'), accessorKey: 'name' },
          { header: t('bill.payer'), id: 'payer', accessorFn: (o) => (o.payer ? `${o.payer.name} (${o.payer.npwrd})` : '–') },
          { header: t('bill.status'), accessorKey: 'status' },
          { header: t('objects.attributes'), id: 'attributes', accessorFn: (o) => Object.entries(o.attributes).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ') },
        ]}
      />
      <h2>{t('objects.payers')}</h2>
      <CsvImport title={t('objects.importPayers')} hint={t('objects.importPayersHint')} send={(csv) => api<ImportReport>('/payers/imports', { method: 'POST', body: csv, contentType: 'text/csv' })} done={payers.reload} />
      <ErrorMessage error={payers.error} />
      <DataTable
        caption={t('objects.payers')}
        data={payers.data?.data ?? []}
        columns={[
          { header: 'NPWRD', accessorKey: 'npwrd' },
          { header: t('levy.name'), accessorKey: 'name' },
          { header: t('objects.address'), accessorKey: 'address' },
          { header: 'E-mail', accessorKey: 'email' },
        ]}
      />
    </>
  );
}

/** A CSV file sent as it is; the answer says what was imported and why each rejected row was. */
function CsvImport({ title, hint, send, done, disabled }: { title: string; hint: string; send: (csv: string) => Promise<ImportReport>; done: () => void; disabled?: boolean }) {
  const t = useT();
  const [report, setReport] = useState<ImportReport>();
  const [error, setError] = useState<unknown>();
  return (
    <section className="import">
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          const file = (e.currentTarget.elements.namedItem('file') as HTMLInputElement).files?.[0];
          if (!file) return;
          setError(undefined);
          setReport(undefined);
          void file
            .text()
            .then(send)
            .then((r) => {
              setReport(r);
              done();
            }, setError);
        }}
      >
        <Field label={title} hint={hint}>
          <input type="file" name="file" accept=".csv,text/csv" required />
        </Field>
        <button type="submit" disabled={disabled}>
          {t('objects.import')}
        </button>
      </form>
      <ErrorMessage error={error} />
      {report && (
        <Notice>
          {t('objects.report', { rows: report.rows, created: report.created, updated: report.updated, unchanged: report.unchanged, rejected: report.rejected.length })}
        </Notice>
      )}
      {report && report.rejected.length > 0 && (
        <DataTable
          caption={t('objects.rejected')}
          data={report.rejected}
          columns={[
            { header: t('recon.row'), accessorKey: 'row' },
            { header: t('objects.column'), accessorKey: 'column', cell: (c) => c.getValue<string | null>() ?? '–' },
            { header: t('recon.reason'), accessorKey: 'reason' },
          ]}
        />
      )}
    </section>
  );
}
