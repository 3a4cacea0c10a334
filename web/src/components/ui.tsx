import { cloneElement, ReactElement, ReactNode, useCallback, useEffect, useId, useState } from 'react';
import { ApiError, qs } from '../api';
import { useT } from '../i18n';
import type { BillStatus } from '../types';

/** Loads data for a page and reloads it on demand; errors are shown, not thrown. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; reload: () => void; loading: boolean } {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // The caller names what the load depends on, as with useEffect.
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, reload, loading: state.loading };
}

export function ErrorMessage({ error }: { error: unknown }) {
  const t = useT();
  if (!error) return null;
  const e = error instanceof ApiError ? error : undefined;
  const fields = (e?.details?.errors as Array<{ field?: string; path?: string; reason?: string; message?: string }> | undefined) ?? [];
  return (
    <div role="alert" className="alert error">
      <strong>{t('error.title')}</strong> {e ? e.message : String(error)}
      {e && <span className="code"> ({e.code})</span>}
      {fields.length > 0 && (
        <ul>
          {fields.map((f, i) => (
            <li key={i}>
              <code>{f.field ?? f.path}</code>: {f.reason ?? f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <div role="status" className="alert ok">
      {children}
    </div>
  );
}

export function Loading({ when }: { when: boolean }) {
  const t = useT();
  return when ? <p aria-live="polite">{t('common.loading')}</p> : null;
}

export function StatusBadge({ status }: { status: BillStatus }) {
  const t = useT();
  return <span className={`badge status-${status}`}>{t(`status.${status}`)}</span>;
}

/** Copies a value (a VA number, a secret) and says so to screen readers too. */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="small"
      aria-label={`${t('common.copy')} ${label}`}
      onClick={() => {
        void navigator.clipboard?.writeText(value).then(() => setCopied(true));
        setTimeout(() => setCopied(false), 2000);
      }}
    >
      {copied ? t('common.copied') : t('common.copy')}
      <span className="visually-hidden" aria-live="polite">
        {copied ? t('common.copied') : ''}
      </span>
    </button>
  );
}

/**
 * A labelled control: the label names it exactly (a hint is its description, not part of its
 * name), so screen readers and the browser tests find it by its label alone.
 */
export function Field({ label, children, hint }: { label: string; children: ReactElement<{ id?: string; 'aria-describedby'?: string }>; hint?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label className="label" htmlFor={id}>
        {label}
      </label>
      {cloneElement(children, { id, 'aria-describedby': hint ? `${id}-hint` : undefined })}
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
    </div>
  );
}

/** The from/to dates of a period, as the finance pages filter and upload by them. */
export function DateRange({ from, to, onFrom, onTo, required }: { from: string; to: string; onFrom(v: string): void; onTo(v: string): void; required?: boolean }) {
  const t = useT();
  return (
    <>
      <Field label={t('recon.from')}>
        <input type="date" value={from} onChange={(e) => onFrom(e.target.value)} required={required} />
      </Field>
      <Field label={t('recon.to')}>
        <input type="date" value={to} onChange={(e) => onTo(e.target.value)} required={required} />
      </Field>
    </>
  );
}

/** A report's CSV and PDF downloads: the report's path with its filters. */
export function ReportDownloads({ path, params }: { path: string; params: Record<string, string | number> }) {
  return (
    <>
      <Download href={`${path}${qs({ ...params, format: 'csv' })}`}>CSV</Download> <Download href={`${path}${qs({ ...params, format: 'pdf' })}`}>PDF</Download>
    </>
  );
}

/** A download from the API (the session cookie authenticates it). */
export function Download({ href, children }: { href: string; children: ReactNode }) {
  return (
    <a className="button secondary" href={`/api/v1${href}`} download>
      {children}
    </a>
  );
}
