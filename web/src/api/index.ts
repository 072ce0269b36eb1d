import { ApiError, csrfToken, http, reportUnauthenticated, type Query } from './http'
import type {
  ApiToken,
  AuditEvent,
  Checkpoint,
  DictItem,
  DirectoryUnit,
  EventProof,
  Evidence,
  FileRecordAnswer,
  FullVerifyStatus,
  LoginResponse,
  Matter,
  MatterPage,
  Me,
  NotificationPage,
  ObjectRecordPage,
  Page,
  RecordKey,
  Region,
  RegionPath,
  Role,
  SubjectDetail,
  SubjectPage,
  TimelineEvent,
  TodoPage,
  TotpSetup,
  Unit,
  UnitInput,
  User,
  UserCreate,
  Upload,
  UploadRequest,
  UserPatch,
  WorkflowDef,
} from './types'

const base = '/api/v1'

export const authApi = {
  login: (username: string, password: string, totp?: string) =>
    http.post<LoginResponse>(
      `${base}/auth/login`,
      totp ? { username, password, totp } : { username, password },
      { skipAuthRedirect: true },
    ),
  logout: () => http.post<void>(`${base}/auth/logout`, undefined, { skipAuthRedirect: true }),
  me: () => http.get<Me>(`${base}/me`, undefined, { skipAuthRedirect: true }),
  changePassword: (current_password: string, new_password: string) =>
    http.post<void>(`${base}/me/password`, { current_password, new_password }),
  totpSetup: () => http.post<TotpSetup>(`${base}/me/totp/setup`),
  totpConfirm: (code: string) => http.post<void>(`${base}/me/totp/confirm`, { code }),
}

export const dictApi = {
  get: (name: string) =>
    http.get<{ items: DictItem[] }>(`${base}/dicts/${encodeURIComponent(name)}`),
}

export const roleApi = {
  list: () => http.get<{ items: Role[] }>(`${base}/roles`),
}

export const regionApi = {
  children: (parent?: string) => http.get<{ items: Region[] }>(`${base}/regions`, { parent }),
  get: (code: string) => http.get<RegionPath>(`${base}/regions/${encodeURIComponent(code)}`),
}

export const unitApi = {
  list: (query: Query) => http.get<Page<Unit>>(`${base}/units`, query),
  get: (id: number) => http.get<Unit>(`${base}/units/${id}`),
  create: (body: UnitInput) => http.post<Unit>(`${base}/units`, body),
  update: (id: number, body: UnitInput) => http.patch<Unit>(`${base}/units/${id}`, body),
}

export const userApi = {
  list: (query: Query) => http.get<Page<User>>(`${base}/users`, query),
  get: (id: number) => http.get<User>(`${base}/users/${id}`),
  create: (body: UserCreate) => http.post<User>(`${base}/users`, body),
  update: (id: number, body: UserPatch) => http.patch<User>(`${base}/users/${id}`, body),
}

export const tokenApi = {
  list: (query: Query = {}) => http.get<Page<ApiToken>>(`${base}/tokens`, query),
  create: (body: { name: string; permissions: string[]; expires_at?: string }) =>
    http.post<ApiToken>(`${base}/tokens`, body),
  revoke: (id: number) => http.del<void>(`${base}/tokens/${id}`),
}

export const auditApi = {
  list: (query: Query) => http.get<Page<AuditEvent>>(`${base}/audit/events`, query),
}

const pub = '/api/public/record'

const objectPath = (type: string, id: string | number) =>
  `${encodeURIComponent(type)}/${encodeURIComponent(String(id))}`

export const recordApi = {
  proof: (seq: number, size?: number) =>
    http.get<EventProof>(`${base}/record/events/${seq}/proof`, { size }),
  /** One page of an object's events, each with its proof against the newest checkpoint. */
  objectEvents: (type: string, id: string | number, query: Query) =>
    http.get<ObjectRecordPage>(`${base}/record/objects/${objectPath(type, id)}/events`, query),
  /** Where the browser downloads the object's evidence bundle (a plain GET with the session cookie). */
  bundleUrl: (type: string, id: string | number) =>
    `${base}/record/bundle?object_type=${encodeURIComponent(type)}&object_id=${encodeURIComponent(String(id))}`,
  key: () => http.get<RecordKey>(`${pub}/key`, undefined, { skipAuthRedirect: true }),
  latestCheckpoint: () =>
    http.get<Checkpoint>(`${pub}/checkpoints/latest`, undefined, { skipAuthRedirect: true }),
  checkpoint: (size: number) =>
    http.get<Checkpoint>(`${pub}/checkpoints/${size}`, undefined, { skipAuthRedirect: true }),
  file: (sm3: string) =>
    http.get<FileRecordAnswer>(`${pub}/files/${encodeURIComponent(sm3)}`, undefined, {
      skipAuthRedirect: true,
    }),
  startFullVerify: () => http.post<FullVerifyStatus>(`${base}/record/verify`),
  fullVerifyStatus: () => http.get<FullVerifyStatus>(`${base}/record/verify`),
}

export const workflowApi = {
  list: () => http.get<{ workflows: WorkflowDef[] }>(`${base}/workflows`),
}

export const matterApi = {
  list: (query: Query) => http.get<MatterPage>(`${base}/matters`, query),
  get: (id: number) => http.get<Matter>(`${base}/matters/${id}`),
  create: (kind: string, fields: Record<string, unknown>) =>
    http.post<Matter>(`${base}/matters`, { kind, fields }),
  /** Takes `action` on the matter as it was at `version` (409 when someone changed it since). */
  act: (id: number, action: string, version: number, fields: Record<string, unknown>) =>
    http.post<Matter>(
      `${base}/matters/${id}/actions/${encodeURIComponent(action)}`,
      { fields },
      { headers: { 'If-Match': `"${version}"` } },
    ),
  timeline: (id: number, query: Query = {}) =>
    http.get<{ items: TimelineEvent[]; next_cursor: string | null }>(
      `${base}/matters/${id}/timeline`,
      query,
    ),
}

export const subjectApi = {
  /** `q`: an ID number or unified social credit code (exact) or the start of a name. */
  list: (query: Query) => http.get<SubjectPage>(`${base}/subjects`, query),
  get: (id: number) => http.get<SubjectDetail>(`${base}/subjects/${id}`),
}

export const directoryApi = {
  /** Active member units for a form's unit field: `q` part of the name, `type`, `region` prefix. */
  units: (query: Query) => http.get<Page<DirectoryUnit>>(`${base}/directory/units`, query),
}

export const todoApi = {
  /** The caller's to-dos; 404 while the server has no to-do list yet. */
  list: (query: Query = {}) => http.get<TodoPage>(`${base}/todos`, query),
}

export const notificationApi = {
  list: (query: Query = {}) => http.get<NotificationPage>(`${base}/notifications`, query),
  markRead: (id: number) => http.post<void>(`${base}/notifications/${id}/read`),
}

/** Where the browser downloads an evidence file (a plain GET with the session cookie). */
export const evidenceContentUrl = (id: number) => `${base}/evidence/${id}/content`

export interface UploadProgress {
  loaded: number
  total: number
}

/**
 * Sends a file's bytes to an opened upload with XMLHttpRequest (fetch reports no upload
 * progress). Resolves to the evidence entered when the last byte arrived.
 */
function putBytes(
  upload: Upload,
  file: Blob,
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<Evidence> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('PUT', upload.upload_url)
    xhr.withCredentials = true
    xhr.setRequestHeader('Content-Type', 'application/octet-stream')
    xhr.setRequestHeader('Accept', 'application/json')
    const token = csrfToken()
    if (token) xhr.setRequestHeader('X-CSRF-Token', token)
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.total || file.size })
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', xhr.statusText || 'network error'))
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'))
    xhr.onload = () => {
      let body: unknown
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null
      } catch {
        body = null
      }
      if (xhr.status === 201) {
        resolve(body as Evidence)
        return
      }
      if (xhr.status === 401) reportUnauthenticated()
      const err = (body as { error?: { code?: string; message?: string; field?: string } } | null)
        ?.error
      reject(
        new ApiError(
          xhr.status,
          err?.code ?? 'UNKNOWN',
          err?.message ?? (xhr.statusText || `HTTP ${xhr.status}`),
          err?.field ?? '',
        ),
      )
    }
    signal?.addEventListener('abort', () => xhr.abort())
    xhr.send(file)
  })
}

export const uploadApi = {
  open: (body: UploadRequest) => http.post<Upload>(`${base}/uploads`, body),
  abandon: (id: string) => http.del<void>(`${base}/uploads/${encodeURIComponent(id)}`),
  /** Opens an upload with its provenance and sends the whole file. */
  async send(
    file: File,
    provenance: Omit<UploadRequest, 'filename' | 'size'>,
    onProgress: (p: UploadProgress) => void,
    signal?: AbortSignal,
  ): Promise<Evidence> {
    const upload = await uploadApi.open({ ...provenance, filename: file.name, size: file.size })
    return putBytes(upload, file, onProgress, signal)
  },
}
