/**
 * The only way the pages talk to the server: the documented /api/v1 API, authenticated by the
 * session cookie, with the session's CSRF token on every change.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
let onSignedOut: (() => void) | undefined;

export function bindSession(token: string | undefined, signedOut: () => void): void {
  csrfToken = token;
  onSignedOut = signedOut;
}

interface Options {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  json?: unknown;
  body?: BodyInit;
  contentType?: string;
}

export async function api<T>(path: string, o: Options = {}): Promise<T> {
  const method = o.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body = o.body;
  if (o.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(o.json);
  } else if (o.contentType) headers['Content-Type'] = o.contentType;
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(`/api/v1${path}`, { method, headers, body, credentials: 'same-origin' });
  if (res.status === 204) return undefined as T;
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  const data = isJson ? await res.json() : await res.text();
  if (!res.ok) {
    const e = isJson ? (data as { error?: { code: string; message: string; details?: Record<string, unknown> } }).error : undefined;
    // A session that ended (idle, signed out elsewhere, role changed) sends the person to sign in again.
    if (res.status === 401 && path !== '/auth/sign-in') onSignedOut?.();
    throw new ApiError(res.status, e?.code ?? `http_${res.status}`, e?.message ?? String(data), e?.details);
  }
  return data as T;
}

/** Query strings without empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}
