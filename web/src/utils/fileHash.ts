/**
 * SM3 of a file read slice by slice (File.slice), so that a large video is never held in
 * memory at once. Progress is reported after every slice as (bytes done, total bytes).
 */
import { toHex } from './bytes'
import { Sm3 } from './sm3'

export const DEFAULT_CHUNK = 4 * 1024 * 1024

export interface HashFileOptions {
  chunkSize?: number
  onProgress?: (done: number, total: number) => void
  signal?: AbortSignal
}

/** Reads a slice's bytes; FileReader fallback for environments without Blob.arrayBuffer. */
function readSlice(blob: Blob): Promise<ArrayBuffer> {
  if (typeof blob.arrayBuffer === 'function') return blob.arrayBuffer()
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(reader.result as ArrayBuffer)
    reader.onerror = () => reject(reader.error)
    reader.readAsArrayBuffer(blob)
  })
}

/** Lower-case hex SM3 of `blob`; rejects with an AbortError when `signal` aborts. */
export async function sm3OfBlob(blob: Blob, options: HashFileOptions = {}): Promise<string> {
  const chunk = Math.max(64, options.chunkSize ?? DEFAULT_CHUNK)
  const hasher = new Sm3()
  const total = blob.size
  options.onProgress?.(0, total)
  for (let offset = 0; offset < total; offset += chunk) {
    if (options.signal?.aborted) throw new DOMException('aborted', 'AbortError')
    const end = Math.min(total, offset + chunk)
    hasher.update(new Uint8Array(await readSlice(blob.slice(offset, end))))
    options.onProgress?.(end, total)
  }
  return toHex(hasher.digest())
}
