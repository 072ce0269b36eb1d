import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { mount } from '@vue/test-utils'
import type { FullVerifyStatus } from '@/api/types'
import { apiError, json, mockFetch } from '@/test/fetchMock'
import { eventProofs, proofFor, recordKey } from '@/test/record/fixtures'
import { clearRecordKeyCache, progressOf, useFullVerify, verifyEvent } from './useRecordVerify'

const seq = eventProofs[0].event.seq

describe('verifyEvent', () => {
  beforeEach(() => clearRecordKeyCache())
  afterEach(() => vi.unstubAllGlobals())

  it('checks the proof in the browser and fetches the key only once', async () => {
    const { calls } = mockFetch((call) => {
      if (call.url === '/api/public/record/key') return json(200, recordKey)
      const m = call.url.match(/^\/api\/v1\/record\/events\/(\d+)\/proof$/)
      if (m) return json(200, proofFor(Number(m[1])))
      return apiError(404, 'NOT_FOUND', 'no')
    })
    expect(await verifyEvent(seq)).toMatchObject({ status: 'ok', keyId: recordKey.key_id })
    expect(await verifyEvent(eventProofs[1].event.seq)).toMatchObject({ status: 'ok' })
    expect(calls.filter((c) => c.url === '/api/public/record/key')).toHaveLength(1)
  })

  it('reports a tampered answer with its reason', async () => {
    const tampered = structuredClone(proofFor(seq))
    tampered.canonical = tampered.canonical.replace('"outcome":"ok"', '"outcome":"ok" ')
    mockFetch((call) =>
      call.url === '/api/public/record/key' ? json(200, recordKey) : json(200, tampered),
    )
    expect(await verifyEvent(seq)).toEqual({ status: 'failed', reason: 'leafMismatch' })
  })

  it('turns a 409 into "not yet under a checkpoint" and other errors into a message', async () => {
    mockFetch((call) =>
      call.url === '/api/public/record/key'
        ? json(200, recordKey)
        : apiError(409, 'FAILED_PRECONDITION', '该事件尚未纳入签名检查点，请稍后再试'),
    )
    expect(await verifyEvent(seq)).toEqual({ status: 'pending' })
    vi.unstubAllGlobals()
    mockFetch((call) =>
      call.url === '/api/public/record/key'
        ? json(200, recordKey)
        : apiError(404, 'NOT_FOUND', '事件不存在'),
    )
    expect(await verifyEvent(seq)).toEqual({ status: 'error', message: '事件不存在' })
  })
})

const status = (over: Partial<FullVerifyStatus>): FullVerifyStatus => ({
  state: 'running',
  done: 0,
  total: 10,
  started_at: '2026-01-01T00:00:00.000Z',
  finished_at: null,
  events_checked: 0,
  checkpoints_checked: 0,
  files_checked: 0,
  first_bad_seq: null,
  code: '',
  message: '',
  ...over,
})

function mountFull() {
  let api!: ReturnType<typeof useFullVerify>
  const wrapper = mount(
    defineComponent({
      setup() {
        api = useFullVerify(1000)
        return () => h('div')
      },
    }),
  )
  return { api, wrapper }
}

describe('useFullVerify', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('starts a run, polls every second while running and stops when it has passed', async () => {
    const answers = [status({ done: 4 }), status({ state: 'passed', done: 10, events_checked: 10 })]
    const { calls } = mockFetch((call) =>
      call.method === 'POST' ? json(202, status({})) : json(200, answers.shift() ?? status({})),
    )
    const { api } = mountFull()
    await api.start()
    expect(api.status.value?.state).toBe('running')
    expect(calls.map((c) => c.method)).toEqual(['POST'])

    await vi.advanceTimersByTimeAsync(1000)
    expect(api.status.value?.done).toBe(4)
    expect(progressOf(api.status.value)).toBe(40)
    await vi.advanceTimersByTimeAsync(1000)
    expect(api.status.value?.state).toBe('passed')
    await vi.advanceTimersByTimeAsync(5000)
    expect(calls).toHaveLength(3)
  })

  it('follows the run already in progress when the start is answered 409', async () => {
    mockFetch((call) =>
      call.method === 'POST'
        ? apiError(409, 'CONFLICT', '核验正在进行')
        : json(200, status({ state: 'failed', first_bad_seq: 17, message: '叶子哈希不符' })),
    )
    const { api } = mountFull()
    await api.start()
    expect(api.status.value).toMatchObject({ state: 'failed', first_bad_seq: 17 })
    expect(api.error.value).toBe('')
  })

  it('stops polling when the component is unmounted', async () => {
    const { calls } = mockFetch(() => json(200, status({})))
    const { api, wrapper } = mountFull()
    await api.refresh()
    wrapper.unmount()
    await vi.advanceTimersByTimeAsync(5000)
    expect(calls).toHaveLength(1)
  })
})
