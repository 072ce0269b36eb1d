/**
 * The server's event stream (GET /api/v1/stream, Server-Sent Events): one EventSource for the
 * page, opened when the first handler subscribes and closed when the last one leaves.
 *
 * Events: `checkpoint` (a new signed checkpoint: tree size and root, so pending record rows can
 * be re-checked without polling), `notification` (a notification for this user was stored;
 * sent by servers that have live notifications) and `session` (this session ended: go to the
 * login page). The
 * server closes the stream after `session`; the browser's reconnection then gets 401, which
 * ends the EventSource for good.
 */

export interface CheckpointEvent {
  size: number
  root: string
}
export interface SessionEvent {
  reason: string
}
export interface NotificationEvent {
  id: number
  kind?: string
  title?: string
  matter_id?: number | null
}
interface EventPayloads {
  checkpoint: CheckpointEvent
  notification: NotificationEvent
  session: SessionEvent
}
export type StreamEventName = keyof EventPayloads
export type StreamHandler<K extends StreamEventName> = (event: EventPayloads[K]) => void

/** What the module needs of an EventSource (tests pass a fake). */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void
  close(): void
}
export type EventSourceFactory = (url: string) => EventSourceLike | null

export const STREAM_URL = '/api/v1/stream'

const defaultFactory: EventSourceFactory = (url) =>
  typeof EventSource === 'undefined' ? null : new EventSource(url)
let factory: EventSourceFactory = defaultFactory
let source: EventSourceLike | null = null
const handlers: { [K in StreamEventName]: Set<StreamHandler<K>> } = {
  checkpoint: new Set(),
  notification: new Set(),
  session: new Set(),
}

function parse<K extends StreamEventName>(name: K, data: string): EventPayloads[K] | null {
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const record = value as Record<string, unknown>
  if (name === 'checkpoint') {
    if (typeof record.size !== 'number' || typeof record.root !== 'string') return null
  } else if (name === 'notification') {
    if (typeof record.id !== 'number') return null
  } else if (typeof record.reason !== 'string') {
    return null
  }
  return value as EventPayloads[K]
}

function dispatch<K extends StreamEventName>(name: K, data: string) {
  const event = parse(name, data)
  if (!event) return
  for (const handler of [...handlers[name]]) handler(event)
}

function open() {
  if (source) return
  source = factory(STREAM_URL)
  if (!source) return
  source.addEventListener('checkpoint', (event) => dispatch('checkpoint', event.data))
  source.addEventListener('notification', (event) => dispatch('notification', event.data))
  source.addEventListener('session', (event) => dispatch('session', event.data))
}

/** Closes the stream (signing out); the next subscription opens it again. */
export function closeStream(): void {
  source?.close()
  source = null
}

/** Calls `handler` for every `name` event until the returned function is called. */
export function onStreamEvent<K extends StreamEventName>(
  name: K,
  handler: StreamHandler<K>,
): () => void {
  handlers[name].add(handler)
  open()
  return () => {
    handlers[name].delete(handler)
    if (Object.values(handlers).every((set) => set.size === 0)) closeStream()
  }
}

/** For tests: where EventSources come from (null restores the browser's). */
export function setEventSourceFactory(next: EventSourceFactory | null): void {
  closeStream()
  factory = next ?? defaultFactory
}
