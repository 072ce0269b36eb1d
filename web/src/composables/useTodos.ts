import { ref } from 'vue'
import { matterApi, todoApi } from '@/api'
import { ApiError } from '@/api/http'
import type { DeadlineStatus, MatterSummary, Todo, WorkflowDef } from '@/api/types'
import { mayAct } from '@/utils/matterForm'

export interface TodoRow {
  matter: MatterSummary
  actions: string[]
  /** The server's status of the next deadline, when it says. */
  deadlineStatus?: DeadlineStatus
}

/** A to-do of GET /api/v1/todos as the home page lists it. */
export function todoRow(item: Todo): TodoRow {
  return {
    matter: item,
    actions: (item.actions ?? []).map((a) => (typeof a === 'string' ? a : a.name)),
    deadlineStatus: item.next_deadline?.status,
  }
}

/** How many candidate matters the fallback checks in detail. */
const FALLBACK_DETAILS = 20

/**
 * The matters in states where one of the definitions' actions could be the user's by role and
 * unit type (the relation is the server's to judge). Pure; exported for tests.
 */
export function candidateTodos(
  matters: MatterSummary[],
  defs: WorkflowDef[],
  roles: readonly string[],
  unitType: string,
): MatterSummary[] {
  const byKind = new Map(defs.map((d) => [d.kind, d]))
  return matters.filter((m) => {
    const def = byKind.get(m.kind)
    if (!def) return false
    return def.actions.some((a) => (a.from ?? []).includes(m.state) && mayAct(a, roles, unitType))
  })
}

/** The state names that are not final in any definition (the open matters). */
export function openStates(defs: WorkflowDef[]): string[] {
  return [...new Set(defs.flatMap((d) => d.states.filter((s) => !s.final).map((s) => s.name)))]
}

/**
 * The caller's to-dos: GET /api/v1/todos when the server has it; otherwise the open matters
 * visible to the unit whose detail lists actions for this user.
 */
export function useTodos() {
  const rows = ref<TodoRow[]>([])
  const open = ref<MatterSummary[]>([])
  const loading = ref(false)
  const error = ref(false)
  /** Why some of the user's roles have no to-dos now (the server's acting_notice). */
  const notice = ref('')

  async function fromServer(): Promise<TodoRow[] | null> {
    try {
      const page = await todoApi.list({ limit: 20 })
      notice.value = page.acting_notice ?? ''
      return page.items.map(todoRow)
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null
      throw e
    }
  }

  async function load(defs: WorkflowDef[], roles: readonly string[], unitType: string) {
    loading.value = true
    error.value = false
    try {
      const states = openStates(defs)
      const page =
        states.length && states.length <= 20
          ? await matterApi.list({ state: states.join(','), limit: 100 })
          : { items: [] as MatterSummary[] }
      open.value = page.items
      const served = await fromServer()
      if (served) {
        rows.value = served
        return
      }
      const candidates = candidateTodos(page.items, defs, roles, unitType).slice(
        0,
        FALLBACK_DETAILS,
      )
      const details = await Promise.all(
        candidates.map((m) => matterApi.get(m.id).catch(() => null)),
      )
      rows.value = details
        .filter((d) => d !== null && d.allowed_actions.length > 0)
        .map((d) => ({ matter: d!, actions: d!.allowed_actions }))
    } catch {
      error.value = true
    } finally {
      loading.value = false
    }
  }

  return { rows, open, loading, error, notice, load }
}
