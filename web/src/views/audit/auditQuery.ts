import type { Query } from '@/api/http'

/** Action prefixes of reads: proofs of the record, and views/downloads of evidence. */
export const READ_PREFIXES = ['record.view', 'evidence.'] as const
export type ReadKind = 'all' | 'view' | 'evidence'

/** Local date-time range (value-format YYYY-MM-DDTHH:mm:ss) → ISO bounds, the end inclusive. */
export function rangeBounds(range: [string, string] | null | undefined): {
  from?: string
  to?: string
} {
  if (!range || !range[0] || !range[1]) return {}
  const from = new Date(range[0])
  const to = new Date(range[1])
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return {}
  to.setMilliseconds(999)
  return { from: from.toISOString(), to: to.toISOString() }
}

export interface AuditForm {
  action: string
  actor: string
  outcome: string
  unit_id: number | null
  object_type: string
  object_id: string
  request_id: string
  range: [string, string] | null
}

/** Audit search form → query of GET /api/v1/audit/events (empty values are dropped later). */
export function auditFilters(form: AuditForm): Query {
  const { range, unit_id, ...rest } = form
  return {
    ...rest,
    action: rest.action.trim(),
    actor: rest.actor.trim(),
    object_type: rest.object_type.trim(),
    object_id: rest.object_id.trim(),
    request_id: rest.request_id.trim(),
    unit_id: unit_id ?? undefined,
    ...rangeBounds(range),
  }
}

export interface ReadsForm {
  kind: ReadKind
  actor: string
  outcome: string
  unit_id: number | null
  range: [string, string] | null
}

/** Read-access search form → query; `kind: 'all'` asks for the merge of every read prefix. */
export function readKindFilters(form: ReadsForm): Query {
  const base: Query = {
    actor: form.actor.trim(),
    outcome: form.outcome,
    unit_id: form.unit_id ?? undefined,
    ...rangeBounds(form.range),
  }
  if (form.kind === 'view') return { ...base, action: READ_PREFIXES[0] }
  if (form.kind === 'evidence') return { ...base, action: READ_PREFIXES[1] }
  return { ...base, kind: 'all' }
}
