/**
 * Incremental SM3 (GB/T 32905-2016) over bytes, so that a large file can be hashed slice by
 * slice without being held in memory. `update()` may be called any number of times before
 * `digest()`; after `digest()` the instance must not be reused.
 */

const IV = [
  0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e,
]

const rotl = (x: number, n: number) => ((x << (n & 31)) | (x >>> (32 - (n & 31)))) >>> 0
const p0 = (x: number) => (x ^ rotl(x, 9) ^ rotl(x, 17)) >>> 0
const p1 = (x: number) => (x ^ rotl(x, 15) ^ rotl(x, 23)) >>> 0

const T = Array.from({ length: 64 }, (_, j) => rotl(j < 16 ? 0x79cc4519 : 0x7a879d8a, j))

export class Sm3 {
  private readonly v = Uint32Array.from(IV)
  private readonly block = new Uint8Array(64)
  private blockLen = 0
  private total = 0
  private readonly w = new Uint32Array(68)
  private readonly w1 = new Uint32Array(64)
  private finished = false

  /** Adds `data` to the message; returns this for chaining. */
  update(data: Uint8Array): this {
    if (this.finished) throw new Error('Sm3: update after digest')
    let offset = 0
    this.total += data.length
    if (this.blockLen > 0) {
      const take = Math.min(64 - this.blockLen, data.length)
      this.block.set(data.subarray(0, take), this.blockLen)
      this.blockLen += take
      offset = take
      if (this.blockLen < 64) return this
      this.compress(this.block, 0)
      this.blockLen = 0
    }
    while (data.length - offset >= 64) {
      this.compress(data, offset)
      offset += 64
    }
    if (offset < data.length) {
      this.block.set(data.subarray(offset), 0)
      this.blockLen = data.length - offset
    }
    return this
  }

  /** Finishes the hash and returns the 32-byte digest. */
  digest(): Uint8Array {
    if (this.finished) throw new Error('Sm3: digest called twice')
    const bitLen = this.total * 8
    const padLen = this.blockLen < 56 ? 56 - this.blockLen : 120 - this.blockLen
    const pad = new Uint8Array(padLen + 8)
    pad[0] = 0x80
    const view = new DataView(pad.buffer)
    view.setUint32(padLen, Math.floor(bitLen / 0x100000000))
    view.setUint32(padLen + 4, bitLen >>> 0)
    const total = this.total
    this.update(pad)
    this.total = total
    this.finished = true
    const out = new Uint8Array(32)
    const ov = new DataView(out.buffer)
    for (let i = 0; i < 8; i++) ov.setUint32(i * 4, this.v[i])
    return out
  }

  private compress(data: Uint8Array, offset: number): void {
    const w = this.w
    const w1 = this.w1
    for (let j = 0; j < 16; j++) {
      const o = offset + j * 4
      w[j] = ((data[o] << 24) | (data[o + 1] << 16) | (data[o + 2] << 8) | data[o + 3]) >>> 0
    }
    for (let j = 16; j < 68; j++) {
      w[j] = (p1(w[j - 16] ^ w[j - 9] ^ rotl(w[j - 3], 15)) ^ rotl(w[j - 13], 7) ^ w[j - 6]) >>> 0
    }
    for (let j = 0; j < 64; j++) w1[j] = (w[j] ^ w[j + 4]) >>> 0
    const v = this.v
    let a = v[0]
    let b = v[1]
    let c = v[2]
    let d = v[3]
    let e = v[4]
    let f = v[5]
    let g = v[6]
    let h = v[7]
    for (let j = 0; j < 64; j++) {
      const a12 = rotl(a, 12)
      const ss1 = rotl((a12 + e + T[j]) >>> 0, 7)
      const ss2 = (ss1 ^ a12) >>> 0
      const ff = j < 16 ? a ^ b ^ c : (a & b) | (a & c) | (b & c)
      const gg = j < 16 ? e ^ f ^ g : (e & f) | (~e & g)
      const tt1 = ((ff >>> 0) + d + ss2 + w1[j]) >>> 0
      const tt2 = ((gg >>> 0) + h + ss1 + w[j]) >>> 0
      d = c
      c = rotl(b, 9)
      b = a
      a = tt1
      h = g
      g = rotl(f, 19)
      f = e
      e = p0(tt2)
    }
    v[0] ^= a
    v[1] ^= b
    v[2] ^= c
    v[3] ^= d
    v[4] ^= e
    v[5] ^= f
    v[6] ^= g
    v[7] ^= h
  }
}

/** SM3 of `data` in one call. */
export function sm3(data: Uint8Array): Uint8Array {
  return new Sm3().update(data).digest()
}
