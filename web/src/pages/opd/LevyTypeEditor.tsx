import { FormEvent, useEffect, useMemo, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, ApiError } from '../../api';
import { DataTable, numeric } from '../../components/DataTable';
import { ErrorMessage, Field, Loading, Notice, useLoad } from '../../components/ui';
import { rupiah, todayWib } from '../../format';
import { useT } from '../../i18n';
import { useUser } from '../../session';
import type { BankChannel, LevyTypeDetail, Preview } from '../../types';

type Json = Record<string, unknown>;
interface Sample {
  code?: string;
  attributes: Json;
}

/** The editable form of a definition: plain fields, and the nested rules as JSON text. */
interface Draft {
  code: string;
  name: string;
  kind: 'retribusi' | 'pajak';
  class: string;
  opd: string;
  effective_from: string;
  regulation: string;
  article: string;
  valid_from: string;
  principal: string;
  fines: string;
  assessment_mode: string;
  period: string;
  billing_unit: string;
  bank_channel: string;
  document_type: string;
  object_schema: string;
  tariff: string;
  rounding_mode: string;
  rounding_unit: number;
  due_days: number;
  billing_type: string;
  partial_allowed: boolean;
  va_valid_days_after_due: number;
  interest_rule: string;
}

const pretty = (v: unknown) => JSON.stringify(v, null, 2);

/** A formula levy to start from: use of regional assets, rate × length × width × months. */
function template(opd: string): Draft {
  const today = todayWib();
  return {
    code: '',
    name: '',
    kind: 'retribusi',
    class: 'jasa usaha',
    opd,
    effective_from: today,
    regulation: 'Peraturan Daerah Kota Padang tentang Pajak Daerah dan Retribusi Daerah',
    article: '',
    valid_from: today,
    principal: '4.1.02.02.20.0001',
    fines: '4.1.04.13',
    assessment_mode: 'official',
    period: 'yearly',
    billing_unit: 'per_object',
    bank_channel: 'bni-ecollection',
    document_type: 'SKRD',
    object_schema: pretty({
      type: 'object',
      required: ['length_m', 'width_m', 'months'],
      additionalProperties: false,
      properties: { length_m: { type: 'number', exclusiveMinimum: 0 }, width_m: { type: 'number', exclusiveMinimum: 0 }, months: { type: 'integer', minimum: 1, maximum: 12 } },
    }),
    tariff: pretty({
      kind: 'formula',
      expression: 'length_m * width_m * months * rate_per_m2_month',
      constants: { rate_per_m2_month: 15000 },
      attributes: ['length_m', 'width_m', 'months'],
      description: '{length_m} m × {width_m} m × {months} bulan × {rate_per_m2_month:rupiah}',
    }),
    rounding_mode: 'half_up',
    rounding_unit: 100,
    due_days: 30,
    billing_type: 'c',
    partial_allowed: false,
    va_valid_days_after_due: 60,
    interest_rule: pretty([{ effective_from: today, rate_per_month_bp: 100, max_months: 24, started_month_counts_whole: true, base: 'principal' }]),
  };
}

function fromLevy(levy: LevyTypeDetail): { draft: Draft; samples: Sample[] } {
  const v = levy.versions[levy.versions.length - 1] as unknown as Json & LevyTypeDetail['versions'][number];
  const lb = v.legal_basis as Json;
  const ac = (v.account_codes as Json[]).at(-1) ?? {};
  const rounding = v.rounding as { mode: string; unit: number };
  const due = v.due_rule as { days?: number };
  const policy = v.payment_policy as { billing_type: string; partial_allowed: boolean; va_valid_days_after_due: number };
  const tomorrow = new Date(Date.parse(`${v.effective_from}T00:00:00Z`) + 86400_000).toISOString().slice(0, 10);
  return {
    draft: {
      code: levy.code,
      name: levy.name,
      kind: levy.kind,
      class: levy.class,
      opd: levy.opd.code,
      effective_from: tomorrow > todayWib() ? tomorrow : todayWib(),
      regulation: String(lb.regulation ?? ''),
      article: String(lb.article ?? ''),
      valid_from: String(v.valid_from),
      principal: String(ac.principal ?? ''),
      fines: String(ac.fines ?? ''),
      assessment_mode: v.assessment_mode ?? 'official',
      period: v.period_kind,
      billing_unit: v.billing_unit,
      bank_channel: v.bank_channel.code,
      document_type: v.document_type,
      object_schema: pretty(v.object_schema),
      tariff: pretty(v.tariff_rule),
      rounding_mode: rounding.mode,
      rounding_unit: rounding.unit,
      due_days: due.days ?? 30,
      billing_type: policy.billing_type,
      partial_allowed: policy.partial_allowed,
      va_valid_days_after_due: policy.va_valid_days_after_due,
      interest_rule: pretty(v.interest_rule),
    },
    samples: v.sample_objects ?? [],
  };
}

class JsonFieldError extends Error {}

function parseJson(label: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new JsonFieldError(`${label}: ${(e as Error).message}`);
  }
}

/** The API's definition (openapi LevyTypeDefinition) from the form. */
function toDefinition(d: Draft, samples: Sample[], t: (k: 'levy.objectSchema' | 'levy.tariff' | 'levy.interest') => string) {
  return {
    code: d.code,
    name: d.name,
    kind: d.kind,
    class: d.class,
    opd: d.opd,
    effective_from: d.effective_from,
    legal_basis: { regulation: d.regulation, article: d.article, valid_from: d.valid_from, valid_to: null },
    account_codes: [{ from_year: Number(d.valid_from.slice(0, 4)), principal: d.principal, fines: d.fines }],
    object_schema: parseJson(t('levy.objectSchema'), d.object_schema),
    assessment_mode: d.assessment_mode,
    period: d.period,
    billing_unit: d.billing_unit,
    tariff: parseJson(t('levy.tariff'), d.tariff),
    rounding: { mode: d.rounding_mode, unit: Number(d.rounding_unit) },
    due_rule: { kind: 'days_after_issue', days: Number(d.due_days) },
    interest_rule: parseJson(t('levy.interest'), d.interest_rule),
    payment_policy: { billing_type: d.billing_type, partial_allowed: d.partial_allowed, va_valid_days_after_due: Number(d.va_valid_days_after_due) },
    bank_channel: d.bank_channel,
    document: { type: d.document_type, template: 'skrd-v1' },
    sample_objects: samples,
  };
}

export function LevyTypeEditor() {
  const t = useT();
  const user = useUser();
  const navigate = useNavigate();
  const code = useParams().code;
  const channels = useLoad(() => api<{ data: BankChannel[] }>('/bank-channels'), []);
  const existing = useLoad(() => (code ? api<LevyTypeDetail>(`/levy-types/${code}`) : Promise.resolve(undefined)), [code]);
  const [draft, setDraft] = useState<Draft>(() => template(user.opd?.code ?? ''));
  const [samples, setSamples] = useState<Sample[]>([{ code: 'SAMPLE-1', attributes: { length_m: 10, width_m: 5, months: 12 } }]);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState<string>();

  useEffect(() => {
    if (!existing.data) return;
    const f = fromLevy(existing.data);
    setDraft(f.draft);
    setSamples(f.samples.length ? f.samples : [{ code: 'SAMPLE-1', attributes: {} }]);
  }, [existing.data]);

  const set = <K extends keyof Draft>(k: K) => (v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const text = (k: keyof Draft) => (e: { target: { value: string } }) => set(k)(e.target.value as never);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    setSaved(undefined);
    try {
      const def = toDefinition(draft, samples, t);
      if (code) {
        const { code: _c, name: _n, kind: _k, class: _cl, opd: _o, ...change } = def;
        const r = await api<{ outcome: string; version: number }>(`/levy-types/${code}`, { method: 'PATCH', json: change });
        setSaved(t('levy.versioned', { version: r.version }));
        existing.reload();
      } else {
        await api('/levy-types', { method: 'POST', json: def });
        navigate(`/opd/levy-types/${def.code}`, { state: { created: true } });
      }
    } catch (err) {
      setError(err instanceof JsonFieldError ? new ApiError(400, 'json_invalid', err.message) : err);
    }
  }

  return (
    <>
      <h1>{code ? t('levy.editTitle', { code }) : t('levy.newTitle')}</h1>
      <Loading when={existing.loading && !!code} />
      {code && !existing.loading && <Notice>{t('levy.previewLead')}</Notice>}
      {code && existing.data && <LivePreview code={code} levy={existing.data} samples={samples} onSamples={setSamples} />}
      <form onSubmit={submit} className="definition">
        <fieldset disabled={!!code}>
          <legend>{t('levy.identity')}</legend>
          <Field label={t('levy.code')} hint={t('levy.codeHint')}>
            <input required pattern="[a-z0-9][a-z0-9_-]*" maxLength={40} value={draft.code} onChange={text('code')} />
          </Field>
          <Field label={t('levy.name')}>
            <input required value={draft.name} onChange={text('name')} />
          </Field>
          <Field label={t('levy.kind')}>
            <select value={draft.kind} onChange={text('kind')}>
              <option value="retribusi">retribusi</option>
              <option value="pajak">pajak</option>
            </select>
          </Field>
          <Field label={t('levy.class')}>
            <input value={draft.class} onChange={text('class')} />
          </Field>
          <Field label="OPD">
            <input required value={draft.opd} onChange={text('opd')} readOnly={user.role === 'opd_admin'} />
          </Field>
        </fieldset>
        <fieldset>
          <legend>{t('levy.rules')}</legend>
          <Field label={t('levy.effectiveFrom')}>
            <input type="date" required value={draft.effective_from} onChange={text('effective_from')} />
          </Field>
          <Field label={t('levy.regulation')}>
            <input required value={draft.regulation} onChange={text('regulation')} />
          </Field>
          <Field label={t('levy.article')}>
            <input required value={draft.article} onChange={text('article')} />
          </Field>
          <Field label={t('levy.validFrom')}>
            <input type="date" required value={draft.valid_from} onChange={text('valid_from')} />
          </Field>
          <Field label={t('levy.principalAccount')}>
            <input required value={draft.principal} onChange={text('principal')} />
          </Field>
          <Field label={t('levy.finesAccount')}>
            <input required value={draft.fines} onChange={text('fines')} />
          </Field>
          <Field label={t('levy.assessmentMode')}>
            <select value={draft.assessment_mode} onChange={text('assessment_mode')}>
              {['official', 'self_assessed', 'on_request'].map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </Field>
          <Field label={t('levy.period')}>
            <select value={draft.period} onChange={text('period')}>
              {['yearly', 'monthly', 'one_off'].map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </Field>
          <Field label={t('levy.billingUnit')}>
            <select value={draft.billing_unit} onChange={text('billing_unit')}>
              {['per_object', 'per_payer'].map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </Field>
          <Field label={t('recon.channel')}>
            <select value={draft.bank_channel} onChange={text('bank_channel')}>
              {(channels.data?.data ?? [{ code: draft.bank_channel, name: draft.bank_channel }]).map((c) => (
                <option key={c.code} value={c.code}>
                  {c.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('levy.documentType')}>
            <select value={draft.document_type} onChange={text('document_type')}>
              <option>SKRD</option>
              <option>SKPD</option>
            </select>
          </Field>
          <Field label={t('levy.rounding')}>
            <select value={`${draft.rounding_mode}:${draft.rounding_unit}`} onChange={(e) => setDraft((d) => ({ ...d, rounding_mode: e.target.value.split(':')[0], rounding_unit: Number(e.target.value.split(':')[1]) }))}>
              {['half_up:1', 'half_up:100', 'down:100', 'up:100', 'half_up:1000'].map((r) => (
                <option key={r} value={r}>
                  {r.replace(':', ' · ')}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('levy.dueDays')}>
            <input type="number" min={1} max={365} value={draft.due_days} onChange={(e) => set('due_days')(Number(e.target.value))} />
          </Field>
          <Field label={t('levy.billingType')}>
            <select value={draft.billing_type} onChange={text('billing_type')}>
              {['c', 'i', 'o', 'm', 'n', 'x'].map((b) => (
                <option key={b}>{b}</option>
              ))}
            </select>
          </Field>
          <Field label={t('levy.vaDays')}>
            <input type="number" min={0} max={3650} value={draft.va_valid_days_after_due} onChange={(e) => set('va_valid_days_after_due')(Number(e.target.value))} />
          </Field>
          <label className="check">
            <input type="checkbox" checked={draft.partial_allowed} onChange={(e) => set('partial_allowed')(e.target.checked)} /> {t('levy.partial')}
          </label>
        </fieldset>
        <fieldset>
          <legend>{t('levy.tariffAndObjects')}</legend>
          <Field label={t('levy.tariff')} hint={t('levy.tariffHint')}>
            <textarea className="code" rows={10} spellCheck={false} value={draft.tariff} onChange={text('tariff')} />
          </Field>
          <Field label={t('levy.objectSchema')} hint={t('levy.schemaHint')}>
            <textarea className="code" rows={10} spellCheck={false} value={draft.object_schema} onChange={text('object_schema')} />
          </Field>
          <Field label={t('levy.interest')}>
            <textarea className="code" rows={4} spellCheck={false} value={draft.interest_rule} onChange={text('interest_rule')} />
          </Field>
          {!code && <SampleEditor schemaText={draft.object_schema} samples={samples} onSamples={setSamples} />}
        </fieldset>
        <ErrorMessage error={error} />
        {saved && <Notice>{saved}</Notice>}
        <button type="submit">{code ? t('levy.saveVersion') : t('levy.create')}</button>
      </form>
    </>
  );
}

/** One row per sample object, one input per attribute of the object schema. */
function SampleEditor({ schemaText, samples, onSamples }: { schemaText?: string; samples: Sample[]; onSamples: (s: Sample[]) => void }) {
  const t = useT();
  const props = useMemo(() => {
    try {
      return Object.entries((JSON.parse(schemaText ?? '{}') as { properties?: Record<string, { type?: string; enum?: unknown[] }> }).properties ?? {});
    } catch {
      return [];
    }
  }, [schemaText]);
  const change = (i: number, name: string, raw: string, type?: string) => {
    const value = type === 'number' || type === 'integer' ? (raw === '' ? undefined : Number(raw.replace(',', '.'))) : raw;
    onSamples(samples.map((s, j) => (j === i ? { ...s, attributes: { ...s.attributes, [name]: value } } : s)));
  };
  return (
    <fieldset className="samples">
      <legend>{t('levy.samples')}</legend>
      {samples.map((s, i) => (
        <div key={i} className="sample">
          <Field label={`${t('levy.sampleCode')} ${i + 1}`}>
            <input value={s.code ?? ''} onChange={(e) => onSamples(samples.map((x, j) => (j === i ? { ...x, code: e.target.value } : x)))} />
          </Field>
          {props.map(([name, p]) => (
            <Field key={name} label={name}>
              {p.enum ? (
                <select value={String(s.attributes[name] ?? '')} onChange={(e) => change(i, name, e.target.value)}>
                  <option value="">–</option>
                  {p.enum.map((v) => (
                    <option key={String(v)}>{String(v)}</option>
                  ))}
                </select>
              ) : (
                <input inputMode={p.type === 'number' || p.type === 'integer' ? 'decimal' : undefined} value={String(s.attributes[name] ?? '')} onChange={(e) => change(i, name, e.target.value, p.type)} />
              )}
            </Field>
          ))}
          <button type="button" className="secondary small" onClick={() => onSamples(samples.filter((_, j) => j !== i))} disabled={samples.length === 1}>
            {t('common.delete')}
          </button>
        </div>
      ))}
      <button type="button" className="secondary" onClick={() => onSamples([...samples, { code: `SAMPLE-${samples.length + 1}`, attributes: {} }])}>
        {t('levy.addSample')}
      </button>
    </fieldset>
  );
}

/** The first whole period the newest version covers: a version from mid-year bills from next year on. */
function firstPeriod(v: LevyTypeDetail['versions'][number]): string {
  const [year, month, day] = v.effective_from.split('-').map(Number);
  if (v.period_kind === 'monthly') return day === 1 ? v.effective_from.slice(0, 7) : new Date(Date.UTC(year, month, 1)).toISOString().slice(0, 7);
  return String(month === 1 && day === 1 ? year : year + 1);
}

/** The saved definition's bills for the sample objects, recomputed as the samples change. */
function LivePreview({ code, levy, samples, onSamples }: { code: string; levy: LevyTypeDetail; samples: Sample[]; onSamples: (s: Sample[]) => void }) {
  const t = useT();
  const newest = levy.versions[levy.versions.length - 1];
  const [period, setPeriod] = useState(() => firstPeriod(newest));
  const [preview, setPreview] = useState<Preview>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const timer = setTimeout(() => {
      const periodic = newest.period_kind !== 'one_off' && /^\d{4}(-\d{2})?$/.test(period);
      api<Preview>(`/levy-types/${code}/preview`, { method: 'POST', json: { objects: samples, ...(periodic ? { period } : {}) } }).then(
        (p) => {
          setPreview(p);
          setError(undefined);
        },
        setError,
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [code, samples, period, newest.period_kind]);
  const lines = (preview?.bills ?? []).flatMap((b) => b.lines);
  return (
    <section aria-labelledby="preview" className="preview">
      <h2 id="preview">{t('levy.preview')}</h2>
      {newest.period_kind !== 'one_off' && (
        <Field label={t('bill.period')} hint={t('bill.periodHint')}>
          <input value={period} onChange={(e) => setPeriod(e.target.value)} />
        </Field>
      )}
      <SampleEditor schemaText={JSON.stringify(newest.object_schema)} samples={samples} onSamples={onSamples} />
      <ErrorMessage error={error} />
      <div aria-live="polite">
        <DataTable
          caption={t('levy.previewCaption', { period: preview?.period ?? '' })}
          data={lines}
          columns={[
            { header: t('bill.object'), accessorKey: 'object_code' },
            { header: t('bill.accountCode'), accessorKey: 'account_code' },
            { header: t('bill.description'), accessorKey: 'description' },
            { header: t('bill.amount'), accessorKey: 'amount', cell: (c) => <span data-testid="preview-amount">{rupiah(c.getValue<number>())}</span>, ...numeric },
          ]}
        />
        {preview && preview.rejected.length > 0 && (
          <ul className="alert error">
            {preview.rejected.map((r) => (
              <li key={r.index}>
                {r.object_code ?? `#${r.index + 1}`}: <code>{r.field}</code> {r.reason}
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
