import { ref, watch, type Ref } from 'vue'
import { matterApi } from '@/api'
import type { Matter, TimelineEvent } from '@/api/types'

/** Pages of 200 read at most: a thread of 2,000 events is far beyond any real consultation. */
const MAX_PAGES = 10

/**
 * Every event of a matter's timeline, oldest first, read again whenever the matter's version
 * changes (an action was taken). With `action`, only that action's events (the server filters:
 * a notice's read receipts come without the rest of its timeline). `error` is set when the
 * timeline could not be read.
 */
export function useMatterEvents(
  matter: Ref<Matter | null | undefined>,
  action: () => string | undefined = () => undefined,
) {
  const events = ref<TimelineEvent[]>([])
  const loading = ref(false)
  const error = ref(false)
  let seq = 0

  async function load(id: number) {
    const mine = ++seq
    loading.value = true
    error.value = false
    try {
      const all: TimelineEvent[] = []
      let cursor: string | null = null
      const only = action()
      for (let page = 0; page < MAX_PAGES; page++) {
        const query: Record<string, string | number> = { limit: 200 }
        if (cursor) query.cursor = cursor
        if (only) query.action = only
        const answer: { items: TimelineEvent[]; next_cursor: string | null } =
          await matterApi.timeline(id, query)
        all.push(...answer.items)
        cursor = answer.next_cursor
        if (!cursor) break
      }
      if (mine === seq) events.value = all.sort((a, b) => a.seq - b.seq)
    } catch {
      if (mine === seq) error.value = true
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  watch(
    () => (matter.value ? `${matter.value.id}:${matter.value.version}` : ''),
    (key) => {
      if (key && matter.value) void load(matter.value.id)
    },
    { immediate: true },
  )

  return { events, loading, error, reload: () => matter.value && load(matter.value.id) }
}
