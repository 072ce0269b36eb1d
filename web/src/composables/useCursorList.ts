import { reactive, ref, shallowRef } from 'vue'
import type { Query } from '@/api/http'
import type { Page } from '@/api/types'
import { errorMessage } from '@/utils/form'

/**
 * State for a cursor-paged list: `reload()` starts over with the current filters,
 * `loadMore()` appends the next page. Responses of superseded loads are ignored.
 */
export function useCursorList<T>(fetchPage: (query: Query) => Promise<Page<T>>, pageSize = 20) {
  const items = shallowRef<T[]>([])
  const nextCursor = ref<string | null>(null)
  const loading = ref(false)
  const error = ref('')
  let filters: Query = {}
  let seq = 0

  async function fetchInto(append: boolean) {
    const mine = ++seq
    loading.value = true
    error.value = ''
    try {
      const query: Query = { ...filters, limit: pageSize }
      if (append && nextCursor.value) query.cursor = nextCursor.value
      const page = await fetchPage(query)
      if (mine !== seq) return
      items.value = append ? [...items.value, ...page.items] : page.items
      nextCursor.value = page.next_cursor ?? null
    } catch (e) {
      if (mine !== seq) return
      error.value = errorMessage(e, '')
      if (!append) items.value = []
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  function reload(newFilters?: Query) {
    if (newFilters) filters = { ...newFilters }
    nextCursor.value = null
    return fetchInto(false)
  }

  function loadMore() {
    if (!nextCursor.value) return Promise.resolve()
    return fetchInto(true)
  }

  /** Replaces one loaded row in place (after an edit) without reloading. */
  function replace(predicate: (row: T) => boolean, row: T) {
    items.value = items.value.map((r) => (predicate(r) ? row : r))
  }

  return { items, nextCursor, loading, error, reload, loadMore, replace }
}

export type CursorList<T> = ReturnType<typeof useCursorList<T>>

/**
 * Search-form state for a cursor list: `query` holds the form's values, `search()` reloads
 * the list with them (through `toFilters` when given) and `reset()` restores the defaults
 * and searches again.
 */
export function useListSearch<Q extends Record<string, unknown>>(
  list: Pick<CursorList<unknown>, 'reload'>,
  defaults: () => Q,
  toFilters: (query: Q) => Query = (query) => ({ ...query }) as Query,
) {
  const query = reactive(defaults()) as Q

  function search() {
    void list.reload(toFilters(query))
  }
  function reset() {
    Object.assign(query, defaults())
    search()
  }

  return { query, search, reset }
}
