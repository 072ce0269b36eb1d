import { describe, expect, it, vi } from 'vitest'
import type { Query } from '@/api/http'
import type { Page } from '@/api/types'
import { mergedPages } from './mergedPages'

/** A cursor-paged source over `seqs` (newest first); the cursor is the next offset. */
function source(seqs: number[]) {
  return vi.fn(async (q: Query): Promise<Page<{ seq: number }>> => {
    const start = q.cursor ? Number(q.cursor) : 0
    const limit = Number(q.limit)
    const items = seqs.slice(start, start + limit).map((seq) => ({ seq }))
    const next = start + limit < seqs.length ? String(start + limit) : null
    return { items, next_cursor: next }
  })
}

describe('mergedPages', () => {
  it('returns the union newest first, page by page, without gaps or repeats', async () => {
    const a = source([20, 15, 14, 9, 3])
    const b = source([19, 18, 2, 1])
    const fetch = mergedPages([a, b], (r) => r.seq)
    const seen: number[] = []
    let page = await fetch({ limit: 3, action: 'x' })
    seen.push(...page.items.map((r) => r.seq))
    while (page.next_cursor) {
      page = await fetch({ limit: 3, action: 'x', cursor: page.next_cursor })
      seen.push(...page.items.map((r) => r.seq))
    }
    expect(seen).toEqual([20, 19, 18, 15, 14, 9, 3, 2, 1])
    expect(a.mock.calls[0][0]).toMatchObject({ action: 'x', limit: 3 })
  })

  it('starts over when called without a cursor', async () => {
    const fetch = mergedPages([source([5, 4]), source([3])], (r) => r.seq)
    const first = await fetch({ limit: 2 })
    expect(first.items.map((r) => r.seq)).toEqual([5, 4])
    const again = await fetch({ limit: 2 })
    expect(again.items.map((r) => r.seq)).toEqual([5, 4])
  })

  it('has no next page once every source is drained', async () => {
    const fetch = mergedPages([source([2]), source([1])], (r) => r.seq)
    expect(await fetch({ limit: 5 })).toEqual({
      items: [{ seq: 2 }, { seq: 1 }],
      next_cursor: null,
    })
  })
})
