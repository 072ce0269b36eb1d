import { onBeforeUnmount, ref, shallowRef } from 'vue'
import { recordApi } from '@/api'
import { ApiError } from '@/api/http'
import type { FullVerifyStatus, RecordKey } from '@/api/types'
import { errorMessage } from '@/utils/form'
import { verifyEventProof, type PageEventResult, type VerifyFailure } from '@/utils/recordVerify'

let keyPromise: Promise<RecordKey> | null = null

/** The deployment's record key, fetched once per page load (a failed fetch is retried). */
export function loadRecordKey(): Promise<RecordKey> {
  if (!keyPromise) {
    keyPromise = recordApi.key().catch((e) => {
      keyPromise = null
      throw e
    })
  }
  return keyPromise
}

/** For tests: forget the cached key. */
export function clearRecordKeyCache(): void {
  keyPromise = null
}

/** What a "核验" mark shows for one event. */
export type MarkState =
  | { status: 'idle' }
  | { status: 'running' }
  | { status: 'ok'; treeSize: number; checkpointAt: string; keyId: string }
  | { status: 'failed'; reason: VerifyFailure }
  /** 409: the event is not yet under a signed checkpoint. */
  | { status: 'pending' }
  | { status: 'error'; message: string }

/** The mark for one event's result from verifyObjectPage. */
export function markOf(result: PageEventResult): MarkState {
  if (result.ok) return { status: 'ok', ...result }
  if (result.reason === 'pending') return { status: 'pending' }
  return { status: 'failed', reason: result.reason }
}

/**
 * Fetches the proof of event `seq` and checks it in the browser: leaf hash from the canonical
 * form, inclusion proof, checkpoint signature. Never throws.
 */
export async function verifyEvent(seq: number): Promise<MarkState> {
  try {
    const [proof, key] = await Promise.all([recordApi.proof(seq), loadRecordKey()])
    const result = await verifyEventProof(proof, key)
    if (result.ok) return { status: 'ok', ...result }
    return { status: 'failed', reason: result.reason }
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) return { status: 'pending' }
    return { status: 'error', message: errorMessage(e, '') }
  }
}

/**
 * State of the server's full verification (POST/GET /api/v1/record/verify): `start()` asks for
 * a run (a 409 "already running" just follows the running one), and while the state is
 * `running` the status is polled every `intervalMs`. Polling stops on unmount.
 */
export function useFullVerify(intervalMs = 1000) {
  const status = shallowRef<FullVerifyStatus | null>(null)
  const error = ref('')
  const starting = ref(false)
  let timer: ReturnType<typeof setTimeout> | null = null
  let stopped = false

  function schedule() {
    if (timer) clearTimeout(timer)
    timer = null
    if (stopped || status.value?.state !== 'running') return
    timer = setTimeout(() => void poll(), intervalMs)
  }

  async function poll() {
    try {
      status.value = await recordApi.fullVerifyStatus()
      error.value = ''
    } catch (e) {
      error.value = errorMessage(e, '')
    }
    schedule()
  }

  async function start() {
    starting.value = true
    error.value = ''
    try {
      const answer = await recordApi.startFullVerify()
      status.value = { ...(status.value ?? emptyStatus()), ...answer, state: 'running' }
      schedule()
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) await poll()
      else error.value = errorMessage(e, '')
    } finally {
      starting.value = false
    }
  }

  function stop() {
    stopped = true
    if (timer) clearTimeout(timer)
    timer = null
  }

  onBeforeUnmount(stop)
  return { status, error, starting, start, refresh: poll, stop }
}

function emptyStatus(): FullVerifyStatus {
  return {
    state: 'idle',
    done: 0,
    total: 0,
    started_at: null,
    finished_at: null,
    events_checked: 0,
    checkpoints_checked: 0,
    files_checked: 0,
    first_bad_seq: null,
    code: '',
    message: '',
  }
}

/** Percentage (0–100, whole) of a status's progress. */
export function progressOf(status: FullVerifyStatus | null): number {
  if (!status || status.total <= 0) return status?.state === 'passed' ? 100 : 0
  return Math.min(100, Math.floor((status.done / status.total) * 100))
}
