import { computed, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { workflowApi } from '@/api'
import type { Labels, StateCategory, WorkflowDef } from '@/api/types'
import { labelOf } from '@/utils/matterForm'

let cached: Promise<WorkflowDef[]> | null = null

/** Loads the procedure definitions once per page life (GET /api/v1/workflows). */
export function loadWorkflows(): Promise<WorkflowDef[]> {
  if (!cached) {
    cached = workflowApi.list().then(
      (res) => res.workflows,
      (err: unknown) => {
        cached = null
        throw err
      },
    )
  }
  return cached
}

export function clearWorkflowsCache(): void {
  cached = null
}

/** The Element Plus tag type of a state category (the chip's colour). */
export function categoryTagType(
  category: StateCategory | '' | undefined,
): 'primary' | 'success' | 'info' | 'warning' | 'danger' {
  switch (category) {
    case 'pending':
      return 'warning'
    case 'processing':
      return 'primary'
    case 'success':
      return 'success'
    case 'warning':
      return 'warning'
    case 'danger':
      return 'danger'
    default:
      return 'info'
  }
}

/** The definitions with locale-aware look-ups; `error` is set when they could not be loaded. */
export function useWorkflows() {
  const { locale } = useI18n()
  const defs = ref<WorkflowDef[]>([])
  const loading = ref(true)
  const error = ref(false)
  const ready = loadWorkflows()
    .then((list) => {
      defs.value = list
    })
    .catch(() => {
      error.value = true
    })
    .finally(() => {
      loading.value = false
    })
  const byKind = computed(() => new Map(defs.value.map((d) => [d.kind, d])))
  const find = (kind: string) => byKind.value.get(kind)
  const label = (labels: Labels | undefined) => labelOf(labels, locale.value)
  const kindLabel = (kind: string) => label(find(kind)?.labels) || kind
  const state = (kind: string, name: string) => find(kind)?.states.find((s) => s.name === name)
  const stateLabel = (kind: string, name: string) => label(state(kind, name)?.labels) || name
  const action = (kind: string, name: string) => find(kind)?.actions.find((a) => a.name === name)
  const actionLabel = (kind: string, name: string) => label(action(kind, name)?.labels) || name
  return {
    defs,
    loading,
    error,
    ready,
    find,
    label,
    kindLabel,
    state,
    stateLabel,
    action,
    actionLabel,
  }
}
