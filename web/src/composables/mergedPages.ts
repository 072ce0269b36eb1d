import type { Query } from '@/api/http'
import type { Page } from '@/api/types'

/**
 * A fetchPage for useCursorList that merges several cursor-paged sources of the same rows,
 * newest first by `key` (e.g. two action prefixes of the audit log). Each source is read ahead
 * until it has at least a page's worth buffered (or is exhausted), so every page returned is
 * exactly the next `limit` rows of the union in order. A call without `cursor` starts over.
 */
export function mergedPages<T>(
  sources: ((query: Query) => Promise<Page<T>>)[],
  key: (row: T) => number,
) {
  interface State {
    buffer: T[]
    cursor: string | null
    done: boolean
  }
  let states: State[] = []
  let generation = 0

  return async function fetchPage(query: Query): Promise<Page<T>> {
    const { cursor, limit, ...filters } = query
    const size = Number(limit) > 0 ? Number(limit) : 50
    if (!cursor) {
      generation++
      states = sources.map(() => ({ buffer: [], cursor: null, done: false }))
    }
    const mine = generation
    const current = states
    await Promise.all(
      sources.map(async (source, i) => {
        const s = current[i]
        while (!s.done && s.buffer.length < size) {
          const page = await source({ ...filters, limit: size, cursor: s.cursor ?? undefined })
          s.buffer.push(...page.items)
          s.cursor = page.next_cursor
          s.done = !page.next_cursor
        }
      }),
    )
    if (mine !== generation) return { items: [], next_cursor: null }
    const items: T[] = []
    while (items.length < size) {
      let best = -1
      current.forEach((s, i) => {
        if (s.buffer.length && (best < 0 || key(s.buffer[0]) > key(current[best].buffer[0]))) {
          best = i
        }
      })
      if (best < 0) break
      items.push(current[best].buffer.shift()!)
    }
    const more = current.some((s) => s.buffer.length > 0 || !s.done)
    return { items, next_cursor: more ? `merged-${mine}-${items.length}` : null }
  }
}
