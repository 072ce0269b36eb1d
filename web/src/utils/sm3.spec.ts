import { describe, expect, it } from 'vitest'
import smCrypto from 'sm-crypto'
import kats from '../../../tests/data/smcrypto/gmt_kats.json'
import { fromHex, toHex, utf8 } from './bytes'
import { Sm3, sm3 } from './sm3'
import { sm3OfBlob } from './fileHash'

describe('sm3', () => {
  it('matches the GB/T 32905 and GM/T 0003 known answers', () => {
    expect(kats.sm3.length).toBeGreaterThan(3)
    for (const v of kats.sm3) expect(toHex(sm3(fromHex(v.msg_hex))), v.desc).toBe(v.digest_hex)
  })

  it('gives the same digest however the input is split', () => {
    const data = new Uint8Array(1000).map((_, i) => (i * 131 + 7) & 0xff)
    const whole = toHex(sm3(data))
    for (const step of [1, 3, 55, 56, 63, 64, 65, 128, 999]) {
      const h = new Sm3()
      for (let i = 0; i < data.length; i += step) h.update(data.subarray(i, i + step))
      expect(toHex(h.digest()), `step ${step}`).toBe(whole)
    }
  })

  it('agrees with sm-crypto around the padding boundaries', () => {
    for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 200]) {
      const data = new Uint8Array(n).map((_, i) => (i * 17) & 0xff)
      expect(toHex(sm3(data)), `length ${n}`).toBe(smCrypto.sm3(Array.from(data)))
    }
  })

  it('refuses to be used after digest', () => {
    const h = new Sm3().update(utf8('abc'))
    h.digest()
    expect(() => h.update(utf8('d'))).toThrow()
  })
})

describe('sm3OfBlob', () => {
  it('hashes a file slice by slice and reports progress up to its size', async () => {
    const data = new Uint8Array(10_000).map((_, i) => (i * 7) & 0xff)
    const progress: number[] = []
    const hex = await sm3OfBlob(new Blob([data]), {
      chunkSize: 4096,
      onProgress: (done, total) => {
        expect(total).toBe(10_000)
        progress.push(done)
      },
    })
    expect(hex).toBe(toHex(sm3(data)))
    expect(progress).toEqual([0, 4096, 8192, 10_000])
  })

  it('hashes an empty file to SM3 of nothing', async () => {
    expect(await sm3OfBlob(new Blob([]))).toBe(
      '1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b',
    )
  })

  it('stops with an AbortError when aborted', async () => {
    const ctrl = new AbortController()
    ctrl.abort()
    await expect(
      sm3OfBlob(new Blob([new Uint8Array(100)]), { signal: ctrl.signal }),
    ).rejects.toThrow('aborted')
  })
})
