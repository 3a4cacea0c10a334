import { useState } from 'react';
import { api } from '../../api';
import { DateRange, Field, ReportDownloads, useLoad } from '../../components/ui';
import { todayWib } from '../../format';
import { useT } from '../../i18n';
import type { LevyType } from '../../types';

/** Every report as CSV (for a spreadsheet) and PDF (to sign and file), for a chosen range. */
export function Reports() {
  const t = useT();
  const today = todayWib();
  const [from, setFrom] = useState(`${today.slice(0, 8)}01`);
  const [to, setTo] = useState(today);
  const [year, setYear] = useState(Number(today.slice(0, 4)));
  const levyTypes = useLoad(() => api<{ data: LevyType[] }>('/levy-types'), []);
  const [levy, setLevy] = useState('retribusi-menara');
  return (
    <>
      <h1>{t('reports.title')}</h1>
      <div className="filters">
        <DateRange from={from} to={to} onFrom={setFrom} onTo={setTo} />
        <Field label={t('reports.year')}>
          <input type="number" min={2000} max={2100} value={year} onChange={(e) => setYear(Number(e.target.value))} />
        </Field>
        <Field label={t('bill.levy')}>
          <select value={levy} onChange={(e) => setLevy(e.target.value)}>
            {(levyTypes.data?.data ?? []).map((l) => (
              <option key={l.code} value={l.code}>
                {l.name}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <ul className="reports">
        <li>
          <h2>{t('reports.dailyRecap')}</h2>
          <p>{t('reports.dailyRecapLead')}</p>
          <ReportDownloads path="/reports/daily-recap" params={{ from, to }} />
        </li>
        <li>
          <h2>{t('reports.realisation')}</h2>
          <p>{t('reports.realisationLead')}</p>
          <ReportDownloads path="/reports/realisation" params={{ year }} />
        </li>
        <li>
          <h2>{t('arrears.title')}</h2>
          <p>{t('reports.arrearsLead')}</p>
          <ReportDownloads path="/reports/arrears-ageing" params={{ as_of: to }} />
        </li>
        <li>
          <h2>{t('reports.payerObjects')}</h2>
          <p>{t('reports.payerObjectsLead')}</p>
          <ReportDownloads path="/reports/payer-objects" params={{ levy_type: levy, ...(levy === 'retribusi-menara' ? { by: 'kecamatan' } : {}) }} />
        </li>
      </ul>
    </>
  );
}
