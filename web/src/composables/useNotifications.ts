import { ref } from 'vue'
import { notificationApi } from '@/api'
import type { AppNotification } from '@/api/types'
import { onStreamEvent } from '@/utils/eventStream'

/** How often the inbox is polled when no live `notification` event has arrived. */
export const POLL_MS = 60_000

const items = ref<AppNotification[]>([])
const unread = ref(0)
const loaded = ref(false)
let users = 0
let timer: ReturnType<typeof setInterval> | null = null
let stopStream: (() => void) | null = null
let live = false

async function refresh(): Promise<void> {
  try {
    const page = await notificationApi.list({ limit: 10 })
    items.value = page.items
    unread.value = page.unread_count
    loaded.value = true
  } catch {
    /* the bell keeps what it had; the next poll or event tries again */
  }
}

async function markRead(id: number): Promise<void> {
  const n = items.value.find((x) => x.id === id)
  if (n?.read_at) return
  await notificationApi.markRead(id)
  if (n) {
    items.value = items.value.map((x) =>
      x.id === id ? { ...x, read_at: new Date().toISOString() } : x,
    )
    unread.value = Math.max(0, unread.value - 1)
  } else {
    await refresh()
  }
}

/**
 * The signed-in user's recent notifications and unread count, shared by the header bell and
 * the home page. Updated on every `notification` event of the stream; polled every minute
 * while the server has sent none (servers without live notifications). Call `release` when
 * the component leaves.
 */
export function useNotifications() {
  users++
  if (users === 1) {
    void refresh()
    stopStream = onStreamEvent('notification', () => {
      live = true
      void refresh()
    })
    timer = setInterval(() => {
      if (!live) void refresh()
    }, POLL_MS)
  }
  function release() {
    users--
    if (users > 0) return
    if (timer) clearInterval(timer)
    timer = null
    stopStream?.()
    stopStream = null
    live = false
  }
  return { items, unread, loaded, refresh, markRead, release }
}

/** Forgets the inbox (signing out). */
export function clearNotifications(): void {
  items.value = []
  unread.value = 0
  loaded.value = false
}
