/**
 * What the kind-specific detail layouts read out of a matter and its timeline (docs/workflows.md):
 * the values of `transient` fields, which live only in the events of the actions that entered
 * them (a consultation's messages, a notice's read receipts, progress reports), the unit that
 * acted, and the fields that record how a matter ended. Everything here is pure.
 */
import type {
  Matter,
  MatterFile,
  TimelineEvent,
  WorkflowAction,
  WorkflowDef,
  WorkflowField,
} from '@/api/types'

/** One transient value an action entered. */
export interface TransientEntry {
  field: WorkflowField
  value: unknown
}

/** An event that carries transient values: one message of a thread. */
export interface ThreadEntry {
  seq: number
  at: string
  /** The action's name (`post`), without the `matter.` prefix. */
  action: string
  username: string
  unitId: number | null
  unitName: string
  /** The text and choice values, in the action's field order. */
  entries: TransientEntry[]
  /** The files entered with it, as the matter lists them (for download links). */
  files: MatterFile[]
}

/** A receiving unit and whether (and when, by whom) it confirmed reading. */
export interface ReadReceipt {
  unitId: number
  unitName: string
  unitType: string
  read: { at: string; username: string; note: string } | null
}

const actionOf = (e: TimelineEvent) => (e.action.startsWith('matter.') ? e.action.slice(7) : '')

const isEmpty = (v: unknown) =>
  v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)

/** The events in the order they happened (the API pages newest first). */
export function chronological(events: readonly TimelineEvent[]): TimelineEvent[] {
  return [...events].sort((a, b) => a.seq - b.seq)
}

/** The name of a unit of the matter; `fallback(id)` when the matter does not name it. */
export function unitNameIn(
  matter: Matter,
  id: number | null,
  fallback: (id: number) => string,
): string {
  if (id === null) return ''
  const p = matter.participants.find((x) => x.unit_id === id)
  if (p) return p.unit_name
  if (matter.owner_unit_id === id && matter.owner_unit_name) return matter.owner_unit_name
  return fallback(id)
}

/** The transient values an event carries (`changes["fields.<name>"].after`), in field order. */
export function transientEntries(def: WorkflowDef, event: TimelineEvent): TransientEntry[] {
  const out: TransientEntry[] = []
  for (const field of def.fields) {
    if (!field.transient) continue
    const change = event.changes[`fields.${field.name}`]
    if (change && !isEmpty(change.after)) out.push({ field, value: change.after })
  }
  return out
}

/**
 * The thread of a matter: every successful event with transient values, oldest first, each
 * with its unit and its files. `actions` keeps only the events of those actions.
 */
export function threadOf(
  def: WorkflowDef,
  matter: Matter,
  events: readonly TimelineEvent[],
  fallbackUnitName: (id: number) => string,
  actions?: readonly string[],
): ThreadEntry[] {
  const out: ThreadEntry[] = []
  for (const e of chronological(events)) {
    if (e.outcome !== 'ok') continue
    const action = actionOf(e)
    if (!action || (actions && !actions.includes(action))) continue
    const values = transientEntries(def, e)
    if (values.length === 0) continue
    const fileIds = new Set(
      values
        .filter((v) => v.field.type === 'files' && Array.isArray(v.value))
        .flatMap((v) => (v.value as unknown[]).map(Number)),
    )
    out.push({
      seq: e.seq,
      at: e.at,
      action,
      username: e.actor_username,
      unitId: e.actor_unit_id,
      unitName: e.actor_unit_name || unitNameIn(matter, e.actor_unit_id, fallbackUnitName),
      entries: values.filter((v) => v.field.type !== 'files'),
      files: matter.files.filter((f) => fileIds.has(f.evidence_id)),
    })
  }
  return out
}

/**
 * The action that posts to a thread: the first that keeps the state and whose fields are all
 * transient with a text among them (a consultation's 发言, an action item's 报送进展).
 */
export function messageActionOf(def: WorkflowDef): WorkflowAction | undefined {
  return def.actions.find((a) => {
    if (a.to || a.fields.length === 0) return false
    const fields = a.fields.map((n) => def.fields.find((f) => f.name === n))
    return (
      fields.every((f) => f?.transient) &&
      fields.some((f) => f?.type === 'richtext' || f?.type === 'text')
    )
  })
}

/** The message action when the caller may take it now (the post box), else undefined. */
export function postActionOf(def: WorkflowDef, matter: Matter): WorkflowAction | undefined {
  const action = messageActionOf(def)
  return action && matter.allowed_actions.includes(action.name) ? action : undefined
}

/** The action that brought the matter to its current state, when one leads there. */
export function outcomeActionOf(def: WorkflowDef, matter: Matter): WorkflowAction | undefined {
  return def.actions.find(
    (a) => a.to === matter.state && a.fields.some((n) => !isEmpty(matter.fields[n])),
  )
}

/**
 * The read receipts of a notice: one row per receiving unit (participants with relation
 * `recipient`), read when one of its users took `action`; the first such event counts.
 */
export function readReceipts(
  matter: Matter,
  events: readonly TimelineEvent[],
  action = 'read',
  noteField = 'read_note',
): ReadReceipt[] {
  const firstRead = new Map<number, TimelineEvent>()
  for (const e of chronological(events)) {
    if (e.outcome !== 'ok' || actionOf(e) !== action || e.actor_unit_id === null) continue
    if (!firstRead.has(e.actor_unit_id)) firstRead.set(e.actor_unit_id, e)
  }
  return matter.participants
    .filter((p) => p.relation === 'recipient')
    .map((p) => {
      const e = firstRead.get(p.unit_id)
      const note = e?.changes[`fields.${noteField}`]?.after
      return {
        unitId: p.unit_id,
        unitName: p.unit_name,
        unitType: p.unit_type,
        read: e ? { at: e.at, username: e.actor_username, note: note ? String(note) : '' } : null,
      }
    })
}

/**
 * The fields that say how the matter came to its current state: those of the actions leading
 * to it (a consultation's conclusion, a meeting's minutes, a withdrawal's reason) that hold a
 * value. Empty in the initial state.
 */
export function outcomeFields(def: WorkflowDef, matter: Matter): WorkflowField[] {
  const names = new Set(def.actions.filter((a) => a.to === matter.state).flatMap((a) => a.fields))
  return def.fields.filter(
    (f) => names.has(f.name) && !f.transient && !isEmpty(matter.fields[f.name]),
  )
}

/** The ids of the matters linked from this one by `relation` (e.g. a meeting's `assign_item`). */
export function linkedFrom(matter: Matter, relation: string): number[] {
  return [
    ...new Set(
      matter.links
        .filter((l) => l.from_matter_id === matter.id && l.relation === relation)
        .map((l) => l.to_matter_id),
    ),
  ]
}

/** The ids of the matters this one was opened from by `relation` (an item's meeting). */
export function linkedTo(matter: Matter, relation: string): number[] {
  return [
    ...new Set(
      matter.links
        .filter((l) => l.to_matter_id === matter.id && l.relation === relation)
        .map((l) => l.from_matter_id),
    ),
  ]
}

/**
 * The action by which recipients confirm a matter without changing its state (a notice's
 * 确认已阅): the first that keeps the state and that only `recipient` units may take.
 */
export function receiptActionOf(def: WorkflowDef): WorkflowAction | undefined {
  return def.actions.find(
    (a) => !a.to && a.actors.length > 0 && a.actors.every((r) => r.relation === 'recipient'),
  )
}
