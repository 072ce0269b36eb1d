import { http, type Query } from './http'
import type {
  ApiToken,
  AuditEvent,
  Checkpoint,
  DictItem,
  EventProof,
  FileRecordAnswer,
  FullVerifyStatus,
  LoginResponse,
  Me,
  ObjectRecordPage,
  Page,
  RecordKey,
  Region,
  RegionPath,
  Role,
  TotpSetup,
  Unit,
  UnitInput,
  User,
  UserCreate,
  UserPatch,
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
