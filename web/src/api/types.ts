export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface UnitRef {
  id: number
  name: string
  type: string
}

export interface Me {
  id: number
  username: string
  display_name: string
  unit: UnitRef | null
  roles: string[]
  permissions: string[]
  totp_enabled: boolean
  totp_required: boolean
  must_enrol_totp: boolean
  csrf_token?: string
}

export interface LoginResponse {
  csrf_token: string
  user: Me
}

export interface DictItem {
  value: string
  label_zh: string
  label_en: string
}

export interface Role {
  code: string
  name_zh: string
  name_en: string
  permissions: string[]
  requires_totp: boolean
  assignable: boolean
}

export interface Region {
  code: string
  name: string
  leaf: boolean
}

export interface RegionPath {
  code: string
  name: string
  path: { code: string; name: string }[]
}

export interface Unit {
  id: number
  name: string
  type: string
  region_code: string
  region_name: string
  parent_id: number | null
  parent_name: string | null
  contact_person: string
  contact_phone: string
  enabled: boolean
  created_at: string
  updated_at: string
  version: number
}

export interface UnitInput {
  name?: string
  type?: string
  region_code?: string
  parent_id?: number | null
  contact_person?: string
  contact_phone?: string
  enabled?: boolean
}

export interface Certificate {
  number: string
  issuer: string
  valid_from: string
  valid_to: string
}

export interface User {
  id: number
  username: string
  display_name: string
  unit_id: number
  unit_name: string
  roles: string[]
  enabled: boolean
  phone: string
  totp_enabled: boolean
  locked: boolean
  last_login_at: string | null
  certificate: Certificate | null
  certificate_valid: boolean
  created_at: string
  version: number
}

export interface UserCreate {
  username: string
  display_name: string
  unit_id: number
  roles: string[]
  password: string
  phone?: string
  certificate?: Certificate
}

export interface UserPatch {
  display_name?: string
  roles?: string[]
  enabled?: boolean
  phone?: string
  certificate?: Certificate | null
  password?: string
}

export interface ApiToken {
  id: number
  name: string
  permissions: string[]
  created_at: string
  expires_at: string | null
  revoked_at: string | null
  last_used_at: string | null
  token?: string
}

export interface FieldChange {
  before: unknown
  after: unknown
}

export interface RecordedFile {
  sm3: string
  sha256: string
  size: number
  name: string
}

/** One event of the whole-process record as the audit endpoint lists it. */
export interface AuditEvent {
  seq: number
  at: string
  actor_user_id: number | null
  actor_username: string
  actor_unit_id: number | null
  action: string
  object_type: string
  object_id: string
  outcome: 'ok' | 'denied' | 'failed'
  changes: Record<string, FieldChange>
  files: RecordedFile[]
  client_ip: string
  request_id: string
  detail: Record<string, unknown>
  leaf_hash: string
}

/** An event of an object's record with its canonical form and inclusion proof (null: newer than the checkpoint). */
export interface ObjectRecordEvent extends AuditEvent {
  canonical: string
  proof: string[] | null
}

/** GET /api/v1/record/objects/{type}/{id}/events: a page proven against one checkpoint. */
export interface ObjectRecordPage extends Page<ObjectRecordEvent> {
  hash: 'sm3' | 'sha256'
  /** First page only: whether the viewer may export the bundle (sees every event of the object). */
  exportable: boolean | null
  tree_size: number
  root: string | null
  checkpoint: Checkpoint | null
}

export interface Cosignature {
  witness: string
  key_id: string
  signature: string
  at: string
}

/** A signed tree head of the record. */
export interface Checkpoint {
  size: number
  /** Hex root hash. */
  root: string
  at: string
  key_id: string
  /** The exact signed text (docs/record-format.md §3). */
  body: string
  /** Base64 signature over the body bytes. */
  signature: string
  signed_note: string
  cosignatures: Cosignature[]
}

export interface RecordKey {
  algorithm: 'sm2' | 'ed25519'
  key_id: string
  public_key_pem: string
  origin: string
  hash: 'sm3' | 'sha256'
}

/** GET /api/v1/record/events/{seq}/proof */
export interface EventProof {
  event: AuditEvent
  canonical: string
  leaf_index: number
  leaf_hash: string
  tree_size: number
  root: string
  hash: 'sm3' | 'sha256'
  proof: string[]
  checkpoint: Checkpoint | null
}

/** GET /api/public/record/files/{sm3} */
export type FileRecordAnswer =
  | { sm3: string; recorded: false }
  | {
      sm3: string
      recorded: true
      recorded_at: string
      seq: number
      leaf_hash: string
      tree_size: number
      proof: string[]
      checkpoint: Checkpoint
      hash: 'sm3' | 'sha256'
    }

export type FullVerifyState = 'idle' | 'running' | 'passed' | 'failed'

/** GET /api/v1/record/verify */
export interface FullVerifyStatus {
  state: FullVerifyState
  done: number
  total: number
  started_at: string | null
  finished_at: string | null
  events_checked: number
  checkpoints_checked: number
  files_checked: number
  first_bad_seq: number | null
  code: string
  message: string
}

export interface TotpSetup {
  secret: string
  otpauth_uri: string
}
