// 接口调用 the one way screens call the hub's REST API: JSON in and out, the session's bearer token, and the hub's
// problem+json `detail` surfaced as the error message (so a refused action says why, in the hub's words).

/** An HTTP failure. `status` 401: the session is gone (log in again); 403: this role may not; 409: stale version. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** The problem document's `type`/`code`, when the hub sent one. */
    readonly code: string | null = null,
    /** The problem document's `errors` (one per bad field, row or feature), when the hub listed them. */
    readonly errors: readonly ProblemIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** One problem a refusal lists: where (a field, a CSV row, a GeoJSON feature) and what is wrong. */
export interface ProblemIssue {
  message: string;
  field?: string;
  row?: number;
  index?: number;
  id?: string;
  code?: string;
  [key: string]: unknown;
}

/** Whatever holds the token; cleared on 401. */
export interface TokenHolder {
  readonly token: string | null;
  clear(): void;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Query parameters; undefined/null/'' values are left out. */
  query?: Record<string, string | number | boolean | null | undefined>;
}

export function withQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** The ApiError of a failed response, worded from its problem document (used by every API client here). */
export async function failure(response: Response, what: string): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as {
    detail?: unknown;
    title?: unknown;
    code?: unknown;
    errors?: unknown;
  } | null;
  const detail =
    typeof body?.detail === 'string'
      ? body.detail
      : typeof body?.title === 'string'
        ? body.title
        : `${response.status} ${response.statusText}`;
  const errors = Array.isArray(body?.errors)
    ? (body.errors as unknown[]).filter(
        (e): e is ProblemIssue =>
          typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string',
      )
    : [];
  return new ApiError(`${what}: ${detail}`, response.status, typeof body?.code === 'string' ? body.code : null, errors);
}

/**
 * Calls the hub and returns the parsed JSON body (undefined for 204). Rejects with ApiError on an HTTP error; a 401
 * also clears the session, so the shell shows the login form.
 */
export async function api<T>(session: TokenHolder | null, path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (session?.token) headers.authorization = `Bearer ${session.token}`;
  let body: BodyInit | undefined;
  if (options.body instanceof FormData || options.body instanceof Blob) {
    body = options.body;
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const url = withQuery(path, options.query);
  const response = await fetch(url, { method, headers, body, signal: options.signal, cache: 'no-store' });
  if (!response.ok) {
    if (response.status === 401) session?.clear();
    throw await failure(response, `${method} ${path}`);
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}
