import type { Certificate, User, UserCreate, UserPatch } from '@/api/types'

export interface UserFormModel {
  username: string
  display_name: string
  unit_id: number | null
  roles: string[]
  password: string
  phone: string
  enabled: boolean
  cert_number: string
  cert_issuer: string
  cert_valid_from: string
  cert_valid_to: string
}

export const userFormProps = [
  'username',
  'display_name',
  'unit_id',
  'roles',
  'password',
  'phone',
  'enabled',
  'cert_number',
  'cert_issuer',
  'cert_valid_from',
  'cert_valid_to',
] as const

/** Server field names that differ from the form's item props. */
export const userFieldMap: Record<string, string> = {
  certificate: 'cert_number',
  'certificate.number': 'cert_number',
  'certificate.issuer': 'cert_issuer',
  'certificate.valid_from': 'cert_valid_from',
  'certificate.valid_to': 'cert_valid_to',
}

export function emptyUserForm(unitId: number | null = null): UserFormModel {
  return {
    username: '',
    display_name: '',
    unit_id: unitId,
    roles: [],
    password: '',
    phone: '',
    enabled: true,
    cert_number: '',
    cert_issuer: '',
    cert_valid_from: '',
    cert_valid_to: '',
  }
}

export function userToForm(user: User): UserFormModel {
  return {
    username: user.username,
    display_name: user.display_name,
    unit_id: user.unit_id,
    roles: [...user.roles],
    password: '',
    phone: user.phone ?? '',
    enabled: user.enabled,
    cert_number: user.certificate?.number ?? '',
    cert_issuer: user.certificate?.issuer ?? '',
    cert_valid_from: user.certificate?.valid_from?.slice(0, 10) ?? '',
    cert_valid_to: user.certificate?.valid_to?.slice(0, 10) ?? '',
  }
}

/** 'none' when no certificate field is filled, 'complete' when all are, else 'partial'. */
export function certificateState(form: UserFormModel): 'none' | 'partial' | 'complete' {
  const parts = [form.cert_number, form.cert_issuer, form.cert_valid_from, form.cert_valid_to].map(
    (v) => v.trim() !== '',
  )
  if (parts.every((p) => !p)) return 'none'
  return parts.every((p) => p) ? 'complete' : 'partial'
}

export function certificateOf(form: UserFormModel): Certificate | null {
  if (certificateState(form) !== 'complete') return null
  return {
    number: form.cert_number.trim(),
    issuer: form.cert_issuer.trim(),
    valid_from: form.cert_valid_from,
    valid_to: form.cert_valid_to,
  }
}

export function createUserBody(form: UserFormModel): UserCreate {
  const body: UserCreate = {
    username: form.username.trim(),
    display_name: form.display_name.trim(),
    unit_id: form.unit_id ?? 0,
    roles: [...form.roles],
    password: form.password,
  }
  if (form.phone.trim()) body.phone = form.phone.trim()
  const cert = certificateOf(form)
  if (cert) body.certificate = cert
  return body
}

const sameCert = (a: Certificate | null, b: Certificate | null) =>
  (a === null && b === null) ||
  (a !== null &&
    b !== null &&
    a.number === b.number &&
    a.issuer === b.issuer &&
    a.valid_from.slice(0, 10) === b.valid_from.slice(0, 10) &&
    a.valid_to.slice(0, 10) === b.valid_to.slice(0, 10))

/** PATCH body with only the fields that changed. */
export function patchUserBody(original: User, form: UserFormModel): UserPatch {
  const body: UserPatch = {}
  if (form.display_name.trim() !== original.display_name)
    body.display_name = form.display_name.trim()
  const rolesBefore = [...original.roles].sort().join(',')
  if ([...form.roles].sort().join(',') !== rolesBefore) body.roles = [...form.roles]
  if (form.enabled !== original.enabled) body.enabled = form.enabled
  if (form.phone.trim() !== (original.phone ?? '')) body.phone = form.phone.trim()
  const cert = certificateOf(form)
  if (!sameCert(cert, original.certificate ?? null)) body.certificate = cert
  return body
}
