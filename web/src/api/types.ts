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

export interface AuditEvent {
  id: number
  at: string
  actor_user_id: number | null
  actor_username: string
  actor_unit_id: number | null
  action: string
  object_type: string
  object_id: string
  outcome: 'ok' | 'denied' | 'failed'
  client_ip: string
  request_id: string
  detail: Record<string, unknown>
}

export interface TotpSetup {
  secret: string
  otpauth_uri: string
}
