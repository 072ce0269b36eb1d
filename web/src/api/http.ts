/**
 * Thin fetch wrapper for the /api/v1 JSON API.
 *
 * - Sends and parses JSON, always with `credentials: 'same-origin'` (the session is a cookie).
 * - Adds `X-CSRF-Token` on unsafe methods (POST/PUT/PATCH/DELETE) from the configured provider.
 * - Turns error responses `{"error":{code,message,field}}` into {@link ApiError}.
 * - On 401 (except when the caller opts out, e.g. login) calls the configured handler, which
 *   clears the session and sends the user to the login page.
 */

export interface ApiErrorBody {
  code: string
  message: string
  field?: string
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly field: string

  constructor(status: number, code: string, message: string, field = '') {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  body?: unknown
  /** Do not call the unauthenticated handler on 401 (login, initial session probe). */
  skipAuthRedirect?: boolean
  signal?: AbortSignal
  /** Extra request headers (e.g. `If-Match`). */
  headers?: Record<string, string>
}

interface HttpConfig {
  csrfToken: () => string
  onUnauthenticated: () => void
}

const config: HttpConfig = {
  csrfToken: () => '',
  onUnauthenticated: () => {},
}

/** Wires the wrapper to the session state; called once at start-up (and by tests). */
export function configureHttp(partial: Partial<HttpConfig>): void {
  Object.assign(config, partial)
}

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export function buildUrl(path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    params.append(key, String(value))
  }
  const qs = params.toString()
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path
}

/** Reads an error response into an ApiError, tolerating non-JSON bodies (proxies, crashes). */
export async function parseError(response: Response): Promise<ApiError> {
  let body: unknown
  try {
    const text = await response.text()
    body = text ? JSON.parse(text) : null
  } catch {
    body = null
  }
  const err =
    body && typeof body === 'object' && 'error' in body
      ? (body as { error: Partial<ApiErrorBody> }).error
      : null
  if (err && typeof err === 'object') {
    return new ApiError(
      response.status,
      err.code ?? 'UNKNOWN',
      err.message ?? response.statusText,
      err.field ?? '',
    )
  }
  return new ApiError(response.status, 'UNKNOWN', response.statusText || `HTTP ${response.status}`)
}

export async function request<T>(
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<T> {
  const upper = method.toUpperCase()
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers }
  const init: RequestInit = {
    method: upper,
    credentials: 'same-origin',
    headers,
    signal: opts.signal,
  }
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(opts.body)
  }
  if (unsafeMethods.has(upper)) {
    const token = config.csrfToken()
    if (token) headers['X-CSRF-Token'] = token
  }
  let response: Response
  try {
    response = await fetch(buildUrl(path, opts.query), init)
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e
    throw new ApiError(0, 'NETWORK', e instanceof Error ? e.message : String(e))
  }
  if (!response.ok) {
    const error = await parseError(response)
    if (response.status === 401 && !opts.skipAuthRedirect) config.onUnauthenticated()
    throw error
  }
  if (response.status === 204) return undefined as T
  const text = await response.text()
  return (text ? JSON.parse(text) : undefined) as T
}

/** The CSRF token unsafe requests carry (for requests made outside this wrapper, e.g. uploads). */
export function csrfToken(): string {
  return config.csrfToken()
}

/** Reports a 401 met outside this wrapper the same way the wrapper does. */
export function reportUnauthenticated(): void {
  config.onUnauthenticated()
}

export const http = {
  get: <T>(path: string, query?: Query, opts: Omit<RequestOptions, 'query'> = {}) =>
    request<T>('GET', path, { ...opts, query }),
  post: <T>(path: string, body?: unknown, opts: RequestOptions = {}) =>
    request<T>('POST', path, { ...opts, body }),
  patch: <T>(path: string, body?: unknown, opts: RequestOptions = {}) =>
    request<T>('PATCH', path, { ...opts, body }),
  del: <T>(path: string, opts: RequestOptions = {}) => request<T>('DELETE', path, opts),
}
