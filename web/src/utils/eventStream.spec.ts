import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  closeStream,
  onStreamEvent,
  setEventSourceFactory,
  STREAM_URL,
  type EventSourceLike,
} from './eventStream'

class FakeEventSource implements EventSourceLike {
  static opened: FakeEventSource[] = []
  listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>()
  closed = false
  constructor(public url: string) {
    FakeEventSource.opened.push(this)
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
  }
  close() {
    this.closed = true
  }
  emit(type: string, data: string) {
    for (const listener of this.listeners.get(type) ?? []) {
      listener(new MessageEvent(type, { data }))
    }
  }
}

describe('event stream', () => {
  beforeEach(() => {
    FakeEventSource.opened = []
    setEventSourceFactory((url) => new FakeEventSource(url))
  })
  afterEach(() => {
    closeStream()
    setEventSourceFactory(null)
  })

  it('opens one stream for all handlers and closes it with the last', () => {
    const offCheckpoint = onStreamEvent('checkpoint', () => {})
    const offSession = onStreamEvent('session', () => {})
    expect(FakeEventSource.opened).toHaveLength(1)
    expect(FakeEventSource.opened[0].url).toBe(STREAM_URL)
    offCheckpoint()
    expect(FakeEventSource.opened[0].closed).toBe(false)
    offSession()
    expect(FakeEventSource.opened[0].closed).toBe(true)
  })

  it('hands each handler the parsed events of its name only', () => {
    const checkpoints = vi.fn()
    const sessions = vi.fn()
    onStreamEvent('checkpoint', checkpoints)
    onStreamEvent('session', sessions)
    const source = FakeEventSource.opened[0]
    source.emit('checkpoint', '{"size":42,"root":"ab12"}')
    source.emit('session', '{"reason":"revoked"}')
    expect(checkpoints).toHaveBeenCalledExactlyOnceWith({ size: 42, root: 'ab12' })
    expect(sessions).toHaveBeenCalledExactlyOnceWith({ reason: 'revoked' })
  })

  it('ignores events whose data is not what the server sends', () => {
    const checkpoints = vi.fn()
    onStreamEvent('checkpoint', checkpoints)
    const source = FakeEventSource.opened[0]
    source.emit('checkpoint', 'not json')
    source.emit('checkpoint', '{"size":"42","root":"ab"}')
    source.emit('checkpoint', 'null')
    expect(checkpoints).not.toHaveBeenCalled()
  })

  it('stops calling a handler once it unsubscribed', () => {
    const kept = vi.fn()
    const dropped = vi.fn()
    onStreamEvent('checkpoint', kept)
    const off = onStreamEvent('checkpoint', dropped)
    off()
    FakeEventSource.opened[0].emit('checkpoint', '{"size":1,"root":"00"}')
    expect(kept).toHaveBeenCalledOnce()
    expect(dropped).not.toHaveBeenCalled()
  })

  it('opens again after closeStream when handlers remain or subscribe', () => {
    onStreamEvent('session', () => {})
    closeStream()
    expect(FakeEventSource.opened[0].closed).toBe(true)
    onStreamEvent('checkpoint', () => {})
    expect(FakeEventSource.opened).toHaveLength(2)
  })

  it('delivers notification events with an id and drops malformed ones', () => {
    const seen: unknown[] = []
    const stop = onStreamEvent('notification', (e) => seen.push(e))
    const source = FakeEventSource.opened[0]!
    source.emit('notification', '{"id":7,"kind":"matter.create","title":"收到移送","matter_id":3}')
    source.emit('notification', '{"title":"no id"}')
    source.emit('notification', 'not json')
    expect(seen).toEqual([{ id: 7, kind: 'matter.create', title: '收到移送', matter_id: 3 }])
    stop()
  })
})
