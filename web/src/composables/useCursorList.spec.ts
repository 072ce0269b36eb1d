import { describe, expect, it, vi } from 'vitest'
import { ApiError, type Query } from '@/api/http'
import type { Page } from '@/api/types'
import { useCursorList, useListSearch } from './useCursorList'

interface Row {
  id: number
  name: string
}

/** A fetchPage whose calls stay pending until resolved or rejected by the test. */
function controlledFetch() {
  const pending: {
    query: Query
    resolve: (page: Page<Row>) => void
    reject: (e: unknown) => void
  }[] = []
  const fetchPage = vi.fn(
    (query: Query) =>
      new Promise<Page<Row>>((resolve, reject) => pending.push({ query, resolve, reject })),
  )
  return { fetchPage, pending }
}

const rows = (...ids: number[]) => ids.map((id) => ({ id, name: `row ${id}` }))

describe('useCursorList', () => {
  it('reloads with the filters and page size, then appends the next page with the cursor', async () => {
    const fetchPage = vi
      .fn<(q: Query) => Promise<Page<Row>>>()
      .mockResolvedValueOnce({ items: rows(1, 2), next_cursor: 'c2' })
      .mockResolvedValueOnce({ items: rows(3), next_cursor: null })
    const list = useCursorList(fetchPage, 2)

    await list.reload({ q: 'abc' })
    expect(fetchPage).toHaveBeenLastCalledWith({ q: 'abc', limit: 2 })
    expect(list.items.value.map((r) => r.id)).toEqual([1, 2])
    expect(list.nextCursor.value).toBe('c2')

    await list.loadMore()
    expect(fetchPage).toHaveBeenLastCalledWith({ q: 'abc', limit: 2, cursor: 'c2' })
    expect(list.items.value.map((r) => r.id)).toEqual([1, 2, 3])
    expect(list.nextCursor.value).toBeNull()
    expect(list.loading.value).toBe(false)
  })

  it('keeps the previous filters when reloaded without new ones', async () => {
    const fetchPage = vi.fn(async () => ({ items: rows(1), next_cursor: null }))
    const list = useCursorList(fetchPage)
    await list.reload({ type: 'court' })
    await list.reload()
    expect(fetchPage).toHaveBeenLastCalledWith({ type: 'court', limit: 20 })
  })

  it('does not fetch more when there is no next cursor', async () => {
    const fetchPage = vi.fn(async () => ({ items: rows(1), next_cursor: null }))
    const list = useCursorList(fetchPage)
    await list.reload({})
    await list.loadMore()
    expect(fetchPage).toHaveBeenCalledTimes(1)
  })

  it('shows the error message and empties the list when a reload fails', async () => {
    const fetchPage = vi
      .fn<(q: Query) => Promise<Page<Row>>>()
      .mockResolvedValueOnce({ items: rows(1), next_cursor: null })
      .mockRejectedValueOnce(new ApiError(500, 'INTERNAL', '服务器错误'))
    const list = useCursorList(fetchPage)
    await list.reload({})
    await list.reload({})
    expect(list.error.value).toBe('服务器错误')
    expect(list.items.value).toEqual([])
    expect(list.loading.value).toBe(false)
  })

  it('keeps the loaded rows when loading more fails', async () => {
    const fetchPage = vi
      .fn<(q: Query) => Promise<Page<Row>>>()
      .mockResolvedValueOnce({ items: rows(1), next_cursor: 'c2' })
      .mockRejectedValueOnce(new ApiError(503, 'UNAVAILABLE', '暂不可用'))
    const list = useCursorList(fetchPage)
    await list.reload({})
    await list.loadMore()
    expect(list.error.value).toBe('暂不可用')
    expect(list.items.value.map((r) => r.id)).toEqual([1])
  })

  it('ignores the answer of a superseded load', async () => {
    const { fetchPage, pending } = controlledFetch()
    const list = useCursorList(fetchPage)
    const first = list.reload({ q: 'old' })
    const second = list.reload({ q: 'new' })
    pending[1].resolve({ items: rows(2), next_cursor: null })
    await second
    pending[0].resolve({ items: rows(1), next_cursor: 'stale' })
    await first
    expect(list.items.value.map((r) => r.id)).toEqual([2])
    expect(list.nextCursor.value).toBeNull()
    expect(list.loading.value).toBe(false)
  })

  it('reports loading while a page is in flight', async () => {
    const { fetchPage, pending } = controlledFetch()
    const list = useCursorList(fetchPage)
    const done = list.reload({})
    expect(list.loading.value).toBe(true)
    pending[0].resolve({ items: [], next_cursor: null })
    await done
    expect(list.loading.value).toBe(false)
  })

  it('replaces a matching row in place', async () => {
    const list = useCursorList(async () => ({ items: rows(1, 2), next_cursor: null }))
    await list.reload({})
    list.replace((r) => r.id === 2, { id: 2, name: 'renamed' })
    expect(list.items.value).toEqual([
      { id: 1, name: 'row 1' },
      { id: 2, name: 'renamed' },
    ])
  })
})

describe('useListSearch', () => {
  it('searches with the query and restores the defaults on reset', () => {
    const reload = vi.fn(async () => {})
    const { query, search, reset } = useListSearch({ reload }, () => ({ q: '', enabled: '' }))
    query.q = '湖州'
    query.enabled = 'true'
    search()
    expect(reload).toHaveBeenLastCalledWith({ q: '湖州', enabled: 'true' })
    reset()
    expect(query).toEqual({ q: '', enabled: '' })
    expect(reload).toHaveBeenLastCalledWith({ q: '', enabled: '' })
  })

  it('turns the query into filters through toFilters', () => {
    const reload = vi.fn(async () => {})
    const { query, search } = useListSearch(
      { reload },
      () => ({ range: null as [string, string] | null }),
      ({ range }) => (range ? { from: range[0], to: range[1] } : {}),
    )
    search()
    expect(reload).toHaveBeenLastCalledWith({})
    query.range = ['2026-01-01', '2026-01-31']
    search()
    expect(reload).toHaveBeenLastCalledWith({ from: '2026-01-01', to: '2026-01-31' })
  })
})
