/**
 * Forms generated from the procedure definitions (docs/workflows.md): which input each field
 * type gets, the empty value it starts from, the client-side checks (the same rules and the
 * same kind of messages as the server's `ValidateFields`), and the conversion of the form's
 * values into the JSON the API takes (money entered in yuan is sent in fen).
 *
 * Everything here is pure; components render it (components/matter/MatterForm.vue).
 */
import { ApiError } from '@/api/http'
import type { FieldType, Labels, WorkflowAction, WorkflowDef, WorkflowField } from '@/api/types'
import { fieldErrorFor } from '@/utils/form'

/** The input a field type is entered with. */
export type Widget =
  | 'input'
  | 'textarea'
  | 'number'
  | 'money'
  | 'date'
  | 'datetime'
  | 'select'
  | 'region'
  | 'subject'
  | 'unit'
  | 'units'
  | 'files'
  | 'geo'

const widgets: Record<FieldType, Widget> = {
  text: 'input',
  richtext: 'textarea',
  number: 'number',
  money: 'money',
  date: 'date',
  datetime: 'datetime',
  enum: 'select',
  region: 'region',
  subject: 'subject',
  unit: 'unit',
  units: 'units',
  files: 'files',
  geo: 'geo',
}

export function widgetFor(type: FieldType): Widget {
  return widgets[type] ?? 'input'
}

export interface SubjectValue {
  kind: 'company' | 'person'
  /** 统一社会信用代码 (company) or 身份证号码 (person). */
  code: string
  name: string
}

export interface GeoValue {
  lat: number | null
  lng: number | null
}

/** An evidence file entered into a files field. */
export interface FileEntry {
  id: number
  name: string
  size: number
}

export type FormValue =
  string | number | null | Date | number[] | string[] | SubjectValue | GeoValue | FileEntry[]

/** One item of a generated form. */
export interface FormItemSpec {
  field: WorkflowField
  required: boolean
}

export type Translate = (key: string, params?: Record<string, unknown>) => string

export function labelOf(labels: Labels | undefined, locale: string): string {
  if (!labels) return ''
  return locale === 'en' ? labels.en || labels.zh : labels.zh
}

/** The items of an action's (or the create) form, in the action's order. */
export function formItems(def: WorkflowDef, action: WorkflowAction): FormItemSpec[] {
  const required = new Set(action.required)
  const items: FormItemSpec[] = []
  for (const name of action.fields) {
    const field = def.fields.find((f) => f.name === name)
    if (field) items.push({ field, required: required.has(name) })
  }
  return items
}

/** The value a field's input starts with. */
export function emptyValue(field: WorkflowField): FormValue {
  switch (field.type) {
    case 'number':
    case 'money':
    case 'unit':
    case 'datetime':
      return null
    case 'enum':
      return field.multiple ? ([] as string[]) : ''
    case 'units':
      return [] as number[]
    case 'files':
      return [] as FileEntry[]
    case 'subject':
      return { kind: 'company', code: '', name: '' }
    case 'geo':
      return { lat: null, lng: null }
    default:
      return ''
  }
}

export function emptyValues(items: FormItemSpec[]): Record<string, FormValue> {
  return Object.fromEntries(items.map((i) => [i.field.name, emptyValue(i.field)]))
}

/** Yuan (as entered, up to 2 decimals) to whole fen. */
export function yuanToFen(yuan: number): number {
  return Math.round(yuan * 100)
}

export function fenToYuan(fen: number): number {
  return fen / 100
}

/** `123456` fen → `1,234.56 元` (zh) / `¥1,234.56` (en). */
export function formatYuan(fen: number | null | undefined, locale = 'zh-CN'): string {
  if (fen === null || fen === undefined || !Number.isFinite(fen)) return ''
  const text = (fen / 100).toLocaleString('en-US', {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  })
  return locale === 'en' ? `¥${text}` : `${text} 元`
}

const creditCodeChars = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const creditCodeWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

/** GB 32100 统一社会信用代码: 18 characters whose last is the check character. */
export function isValidCreditCode(code: string): boolean {
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(code)) return false
  let sum = 0
  for (let i = 0; i < 17; i++) sum += creditCodeChars.indexOf(code[i]!) * creditCodeWeights[i]!
  const check = (31 - (sum % 31)) % 31
  return code[17] === creditCodeChars[check]
}

const idWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

/** GB 11643 公民身份号码: 17 digits and a check digit (0–9 or X). */
export function isValidIdNumber(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * idWeights[i]!
  return id[17] === '10X98765432'[sum % 11]
}

const codePoints = (s: string) => [...s].length

/** Whether a value counts as empty (the server's rule: null, blank, empty list). */
export function isEmptyValue(field: WorkflowField, value: FormValue | undefined): boolean {
  if (value === null || value === undefined) return true
  if (typeof value === 'string') return value.trim() === ''
  if (Array.isArray(value)) return value.length === 0
  if (field.type === 'subject') {
    const s = value as SubjectValue
    return s.code.trim() === '' && s.name.trim() === ''
  }
  if (field.type === 'geo') {
    const g = value as GeoValue
    return g.lat === null && g.lng === null
  }
  return false
}

/** The "please fill in / choose / upload / mark" message of a required field. */
export function requiredMessage(field: WorkflowField, locale: string, t: Translate): string {
  const label = labelOf(field.labels, locale)
  switch (field.type) {
    case 'enum':
    case 'region':
    case 'unit':
    case 'units':
    case 'date':
    case 'datetime':
      return t('matterForm.choose', { label })
    case 'files':
      return t('matterForm.upload', { label })
    case 'geo':
      return t('matterForm.mark', { label })
    default:
      return t('matterForm.fill', { label })
  }
}

function inRange(n: number, min: number | undefined, max: number | undefined): boolean {
  return (min === undefined || n >= min) && (max === undefined || n <= max)
}

/**
 * Checks one value as the server would; returns the message to show under the field, or ''
 * when the value may be sent.
 */
export function validateValue(
  field: WorkflowField,
  value: FormValue | undefined,
  required: boolean,
  locale: string,
  t: Translate,
): string {
  const label = labelOf(field.labels, locale)
  if (isEmptyValue(field, value)) return required ? requiredMessage(field, locale, t) : ''
  switch (field.type) {
    case 'text':
    case 'richtext': {
      const text = String(value).trim()
      const max = field.max_length ?? (field.type === 'text' ? 200 : 20000)
      const length = codePoints(text)
      if (length > max) return t('matterForm.tooLong', { label, max })
      if (field.min_length !== undefined && length < field.min_length) {
        return t('matterForm.tooShort', { label, min: field.min_length })
      }
      if (field.type === 'text' && /[\n\r\t]/.test(text)) return t('matterForm.oneLine', { label })
      if (field.type === 'richtext' && /<\/?[a-zA-Z][^>]*>|<!--/.test(text)) {
        return t('matterForm.noHtml', { label })
      }
      if (field.pattern && !new RegExp(`^(?:${field.pattern})$`, 'u').test(text)) {
        return field.pattern_message
          ? labelOf(field.pattern_message, locale)
          : t('matterForm.badFormat', { label })
      }
      return ''
    }
    case 'number': {
      const n = Number(value)
      if (!Number.isFinite(n)) return t('matterForm.badNumber', { label })
      if (field.integer && !Number.isInteger(n)) return t('matterForm.integer', { label })
      if (!inRange(n, field.min, field.max)) return t('matterForm.outOfRange', { label })
      return ''
    }
    case 'money': {
      const fen = yuanToFen(Number(value))
      if (!Number.isFinite(fen)) return t('matterForm.badNumber', { label })
      if (!inRange(fen, field.min ?? 0, field.max)) return t('matterForm.outOfRange', { label })
      return ''
    }
    case 'enum': {
      if (!field.multiple) return ''
      const n = (value as string[]).length
      if (field.min_items !== undefined && n < field.min_items) {
        return t('matterForm.tooFew', { label, min: field.min_items })
      }
      if (field.max_items !== undefined && n > field.max_items) {
        return t('matterForm.tooMany', { label, max: field.max_items })
      }
      return ''
    }
    case 'units':
    case 'files': {
      const n = (value as unknown[]).length
      const max = field.max_items ?? 200
      if (field.min_items !== undefined && n < field.min_items) {
        return t('matterForm.tooFew', { label, min: field.min_items })
      }
      if (n > max) return t('matterForm.tooMany', { label, max })
      return ''
    }
    case 'subject': {
      const s = value as SubjectValue
      const code = s.code.trim().toUpperCase()
      if (s.kind === 'company' && !isValidCreditCode(code)) return t('matterForm.badCreditCode')
      if (s.kind === 'person' && !isValidIdNumber(code)) return t('matterForm.badIdNumber')
      if (s.name.trim() === '') return t('matterForm.subjectName')
      if (codePoints(s.name.trim()) > 100) return t('matterForm.tooLong', { label, max: 100 })
      return ''
    }
    case 'geo': {
      const g = value as GeoValue
      if (g.lat === null || g.lng === null) return t('matterForm.mark', { label })
      const b = field.bounds ?? { min_lat: -90, max_lat: 90, min_lng: -180, max_lng: 180 }
      if (!inRange(g.lat, b.min_lat, b.max_lat) || !inRange(g.lng, b.min_lng, b.max_lng)) {
        return t('matterForm.outOfBounds', { label })
      }
      return ''
    }
    default:
      return ''
  }
}

/** The JSON value sent for a form value; undefined leaves the field out (it is empty). */
export function toApiValue(field: WorkflowField, value: FormValue | undefined): unknown {
  if (isEmptyValue(field, value)) return undefined
  switch (field.type) {
    case 'text':
    case 'richtext':
      return String(value).trim()
    case 'number':
      return Number(value)
    case 'money':
      return yuanToFen(Number(value))
    case 'datetime':
      return new Date(value as Date | string).toISOString()
    case 'enum':
      return field.multiple ? [...new Set(value as string[])] : value
    case 'unit':
      return Number(value)
    case 'units':
      return (value as number[]).map(Number)
    case 'files':
      return (value as FileEntry[]).map((f) => f.id)
    case 'subject': {
      const s = value as SubjectValue
      const code = s.code.trim().toUpperCase()
      return s.kind === 'company'
        ? { kind: 'company', credit_code: code, name: s.name.trim() }
        : { kind: 'person', id_number: code, name: s.name.trim() }
    }
    case 'geo': {
      const g = value as GeoValue
      return { lat: g.lat, lng: g.lng }
    }
    default:
      return value
  }
}

/** The `fields` object of a create or action request. */
export function buildFields(
  items: FormItemSpec[],
  values: Record<string, FormValue>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const { field } of items) {
    const v = toApiValue(field, values[field.name])
    if (v !== undefined) out[field.name] = v
  }
  return out
}

/**
 * The form item a server error belongs to: `error.field` names the field, possibly with a
 * path inside it (`subject.credit_code`, `recipients[1]`). Null when it names none of `props`.
 */
export function fieldErrorOf(
  error: unknown,
  props: readonly string[],
): { prop: string; message: string } | null {
  if (!(error instanceof ApiError) || !error.field) return null
  const head = error.field.split(/[.[]/)[0] ?? ''
  return fieldErrorFor(error, props, { [error.field]: head })
}

/**
 * `error` as the form shows it: a server error naming a path inside a field
 * (`subject.credit_code`, `recipients[1]`) becomes one naming the field's form item; anything
 * else is returned as it is. For the generated forms' submit handlers to rethrow.
 */
export function asFormItemError(error: unknown): unknown {
  if (!(error instanceof ApiError) || !error.field) return error
  const head = error.field.split(/[.[]/)[0] ?? error.field
  return new ApiError(error.status, error.code, error.message, head)
}

/** A rule of an Element Plus form item (the subset the generated forms use). */
export interface ValueRule {
  validator: (rule: unknown, value: unknown, callback: (error?: Error) => void) => void
  trigger: string[]
}

/** The Element Plus rules of a generated form: every item checked by `validateValue`. */
export function formRules(
  items: FormItemSpec[],
  locale: string,
  t: Translate,
): Record<string, ValueRule[]> {
  return Object.fromEntries(
    items.map(({ field, required }) => [
      field.name,
      [
        {
          validator: (_rule: unknown, value: unknown, callback: (error?: Error) => void) => {
            const message = validateValue(field, value as FormValue, required, locale, t)
            if (message) callback(new Error(message))
            else callback()
          },
          trigger: ['blur', 'change'],
        },
      ],
    ]),
  )
}

/**
 * Whether a user (roles, unit type) passes one of an action's actor rules by role and unit
 * type; the relation is the server's to judge (create rules always say `any`).
 */
export function mayAct(
  action: WorkflowAction,
  roles: readonly string[],
  unitType: string,
): boolean {
  return action.actors.some(
    (rule) =>
      (rule.roles.length === 0 || rule.roles.some((r) => roles.includes(r))) &&
      (rule.unit_types.length === 0 || rule.unit_types.includes(unitType)),
  )
}
