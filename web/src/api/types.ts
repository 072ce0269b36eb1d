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
  full_name?: string
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
  /** In a matter's timeline: the evidence file it opens by (null once no longer attached). */
  evidence_id?: number | null
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

/** `{zh, en}` labels of the procedure definitions. */
export interface Labels {
  zh: string
  en: string
}

export type FieldType =
  | 'text'
  | 'richtext'
  | 'number'
  | 'money'
  | 'date'
  | 'datetime'
  | 'enum'
  | 'region'
  | 'subject'
  | 'unit'
  | 'units'
  | 'files'
  | 'geo'

/** A typed field of a procedure definition (docs/workflows.md, "Fields"). */
export interface WorkflowField {
  name: string
  type: FieldType
  labels: Labels
  help?: Labels
  min?: number
  max?: number
  min_length?: number
  max_length?: number
  min_items?: number
  max_items?: number
  integer?: boolean
  pattern?: string
  pattern_message?: Labels
  dict?: string
  items?: { value: string; zh: string; en: string }[]
  /** enum: the value is a list of dictionary values. */
  multiple?: boolean
  /**
   * The value belongs to the action that enters it (a message posted, a reading confirmed): it
   * is recorded in that action's timeline event and never kept among the matter's fields.
   */
  transient?: boolean
  bounds?: { min_lat: number; max_lat: number; min_lng: number; max_lng: number }
}

export type StateCategory = 'pending' | 'processing' | 'success' | 'warning' | 'danger' | 'closed'

export interface WorkflowState {
  name: string
  labels: Labels
  initial: boolean
  final: boolean
  category: StateCategory | ''
}

export interface WorkflowActor {
  roles: string[]
  unit_types: string[]
  relation: string
}

/** An action (or the create form, which has no from/to/style). */
export interface WorkflowAction {
  name: string
  labels: Labels
  actors: WorkflowActor[]
  fields: string[]
  required: string[]
  from?: string[]
  to?: string
  style?: 'primary' | 'default' | 'danger' | ''
  within?: string
}

export interface WorkflowDeadline {
  name: string
  labels: Labels
  limit: {
    name: string
    basis: string
    working_days?: number
    calendar_days?: number
    hours?: number
  }
  starts_on: string[]
  cleared_by: string[]
  mark_overdue: boolean
  notify_on_miss: string[]
}

/** One procedure definition as GET /api/v1/workflows serves it. */
export interface WorkflowDef {
  kind: string
  labels: Labels
  number: { word: string; pattern: string }
  fields: WorkflowField[]
  states: WorkflowState[]
  create: WorkflowAction
  actions: WorkflowAction[]
  deadlines: WorkflowDeadline[]
}

/** A matter as lists show it. */
export interface MatterSummary {
  id: number
  kind: string
  kind_label: string
  number: string
  title: string
  state: string
  state_label: string
  state_category: StateCategory | ''
  owner_unit_id: number
  /** List and detail answers carry it; to-do answers do not. */
  owner_unit_name?: string
  region_code: string
  domain: string
  subject_id: number | null
  amount_fen: number | null
  created_at: string
  updated_at: string
  next_deadline_at: string | null
  overdue: boolean
  /** The next deadline's card by the working-day calendar (null without a deadline). */
  deadline_status?: DeadlineStatus | null
  version: number
}

/** A row of GET /api/v1/matters: the summary with its owner unit's name ("" once deleted). */
export interface MatterListItem extends MatterSummary {
  owner_unit_name: string
}

export interface MatterPage extends Page<MatterListItem> {
  counts: Record<string, number>
  /** The counts cover only the most recently changed matters of the filter: each is a lower bound. */
  counts_capped: boolean
}

export type MatterRelation = 'owner' | 'recipient' | 'copied' | 'supervisor' | 'party' | 'witness'

export interface MatterParticipant {
  unit_id: number
  unit_name: string
  unit_type: string
  relation: MatterRelation | string
  added_at: string
}

export type DeadlineStatus = 'ok' | 'due_soon' | 'overdue' | 'cleared' | string

export interface MatterDeadline {
  name: string
  labels: Labels
  started_at: string
  due_at: string
  due_date: string
  cleared_at: string | null
  status: DeadlineStatus
}

export interface MatterLink {
  from_matter_id: number
  to_matter_id: number
  relation: string
  created_at: string
}

export interface MatterFile {
  evidence_id: number
  field: string
  filename: string
  sm3: string
  size: number
  added_at: string
}

/** GET /api/v1/matters/{id}: the matter with everything its detail page shows. */
export interface Matter extends MatterSummary {
  owner_unit_name: string
  created_by: number
  fields: Record<string, unknown>
  participants: MatterParticipant[]
  deadlines: MatterDeadline[]
  links: MatterLink[]
  files: MatterFile[]
  relations: string[]
  allowed_actions: string[]
  /** Why some of the caller's roles do not act now (no enforcement certificate valid today). */
  acting_notice?: string
}

/** An event of a matter's timeline. */
export interface TimelineEvent {
  seq: number
  at: string
  actor_user_id: number | null
  actor_username: string
  actor_unit_id: number | null
  /** The acting unit's name, when the server sends it (otherwise look it up by id). */
  actor_unit_name?: string | null
  action: string
  outcome: string
  changes: Record<string, FieldChange>
  files: RecordedFile[]
  detail: Record<string, unknown>
  leaf_hash: string
}

export type SubjectKind = 'company' | 'person'

/** A subject (行政相对人) as GET /api/v1/subjects lists it: a person's ID number only masked. */
export interface Subject {
  id: number
  kind: SubjectKind
  name: string
  /** A company's unified social credit code. */
  credit_code: string | null
  id_number_masked: string | null
  created_at: string
  updated_at: string
}

/** How the server read the search text: an ID number, a credit code, a name prefix, or none given. */
export type SubjectMatch = 'id_number' | 'credit_code' | 'name' | 'all'

export interface SubjectPage extends Page<Subject> {
  matched_by: SubjectMatch
}

/** GET /api/v1/subjects/{id}. */
export interface SubjectDetail extends Subject {
  /** The full ID number, only for units handling one of the subject's matters (and recorded). */
  id_number: string | null
  id_number_shown: boolean
  /** The caller's unit's relations to the matters naming the subject. */
  relations: string[]
  /** Where the subject's matters are listed (GET /api/v1/matters?subject_id=…). */
  matters: string
}

/** An active member unit of GET /api/v1/directory/units (成员单位名录). */
export interface DirectoryUnit {
  id: number
  name: string
  type: string
  region_code: string
  region_name: string
  abbreviation: string
  parent_id: number | null
  parent_name: string | null
}

export interface AppNotification {
  id: number
  kind: string
  matter_id: number | null
  title: string
  body: string
  created_at: string
  read_at: string | null
}

export interface NotificationPage extends Page<AppNotification> {
  unread_count: number
}

/** GET /api/v1/todos (when the server has it): a matter awaiting one of the caller's actions. */
export interface Todo extends MatterSummary {
  actions: (string | { name: string; labels?: Labels; style?: string })[]
  next_deadline?: MatterDeadline | null
}

export interface TodoPage extends Page<Todo> {
  counts?: { total?: number; overdue?: number; due_soon?: number }
  /** As Matter.acting_notice: the to-dos of the lapsed roles are left out. */
  acting_notice?: string
}

export interface UploadRequest {
  filename: string
  size: number
  source: string
  captured_at: string
  captured_by?: string
  device_id?: string
  description?: string
}

export interface Upload {
  id: string
  filename: string
  size: number
  received: number
  state: 'open' | 'done' | 'aborted'
  in_progress: boolean
  evidence_id: number | null
  upload_url: string
}

export interface Evidence {
  id: number
  filename: string
  size: number
  media_type: string
  sm3: string
  content_url: string
}
