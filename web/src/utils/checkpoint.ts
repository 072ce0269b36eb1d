/**
 * Checkpoints (signed tree heads) of the whole-process record: parsing the body, reading the
 * deployment's public key and verifying the signature in the browser
 * (docs/record-format.md §3–4).
 *
 * SM2 verification uses sm-crypto (SM3 with the distinguishing ID 1234567812345678, DER
 * signature); Ed25519 uses @noble/curves. Both are loaded on first use, so pages that never
 * verify do not download them.
 */
import type { sm2 as Sm2Module } from 'sm-crypto'
import { fromBase64, toHex } from './bytes'
import { sm3 } from './sm3'

export const SM2_USER_ID = '1234567812345678'

export interface CheckpointBody {
  origin: string
  size: number
  /** Root hash bytes (decoded from the body's base64). */
  root: Uint8Array
  hash: string
  time: string
}

/**
 * Parses a checkpoint body; returns null unless it is exactly the five newline-terminated
 * lines of the format (origin, size, base64 root, `hash …`, `time …`).
 */
export function parseCheckpointBody(body: string): CheckpointBody | null {
  if (!body.endsWith('\n')) return null
  const lines = body.slice(0, -1).split('\n')
  if (lines.length !== 5) return null
  const [origin, sizeLine, rootLine, hashLine, timeLine] = lines
  if (!origin.startsWith('lvyuan/')) return null
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) return null
  const size = Number(sizeLine)
  if (!Number.isSafeInteger(size)) return null
  let root: Uint8Array
  try {
    root = fromBase64(rootLine)
  } catch {
    return null
  }
  if (!hashLine.startsWith('hash ') || !timeLine.startsWith('time ')) return null
  return { origin, size, root, hash: hashLine.slice(5), time: timeLine.slice(5) }
}

export type KeyAlgorithm = 'sm2' | 'ed25519'

export interface PublicKeyInfo {
  algorithm: KeyAlgorithm
  /** Raw public key: SM2 uncompressed point (65 bytes, 0x04 ‖ x ‖ y) or Ed25519 (32 bytes). */
  raw: Uint8Array
  /** The SubjectPublicKeyInfo DER. */
  spki: Uint8Array
}

/** DER bytes inside a PEM block. */
export function pemToDer(pem: string): Uint8Array {
  const b64 = pem
    .replace(/-----BEGIN [^-]+-----/, '')
    .replace(/-----END [^-]+-----/, '')
    .replace(/\s+/g, '')
  return fromBase64(b64)
}

interface Tlv {
  tag: number
  start: number
  end: number
}

function readTlv(der: Uint8Array, offset: number): Tlv {
  if (offset + 2 > der.length) throw new Error('truncated DER')
  const tag = der[offset]
  let len = der[offset + 1]
  let start = offset + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 3 || start + n > der.length) throw new Error('bad DER length')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]
    start += n
  }
  if (start + len > der.length) throw new Error('truncated DER')
  return { tag, start, end: start + len }
}

const OID_ED25519 = '2b6570'
const OID_SM2_CURVE = '2a811ccf5501822d'

/** Reads an SM2 or Ed25519 SubjectPublicKeyInfo PEM; throws for anything else. */
export function parsePublicKeyPem(pem: string): PublicKeyInfo {
  const spki = pemToDer(pem)
  const outer = readTlv(spki, 0)
  if (outer.tag !== 0x30) throw new Error('not a SubjectPublicKeyInfo')
  const alg = readTlv(spki, outer.start)
  if (alg.tag !== 0x30) throw new Error('not a SubjectPublicKeyInfo')
  const oids: string[] = []
  for (let p = alg.start; p < alg.end;) {
    const t = readTlv(spki, p)
    if (t.tag === 0x06) oids.push(toHex(spki.subarray(t.start, t.end)))
    p = t.end
  }
  const bits = readTlv(spki, alg.end)
  if (bits.tag !== 0x03 || spki[bits.start] !== 0) throw new Error('bad public key bit string')
  const raw = spki.slice(bits.start + 1, bits.end)
  if (oids.includes(OID_ED25519)) {
    if (raw.length !== 32) throw new Error('bad Ed25519 key')
    return { algorithm: 'ed25519', raw, spki }
  }
  if (oids.includes(OID_SM2_CURVE)) {
    if (raw.length !== 65 || raw[0] !== 4) throw new Error('bad SM2 key')
    return { algorithm: 'sm2', raw, spki }
  }
  throw new Error('unsupported key algorithm')
}

/** The key id of a public key: the first 8 bytes of SM3(SubjectPublicKeyInfo DER), in hex. */
export function keyIdOf(spki: Uint8Array): string {
  return toHex(sm3(spki).subarray(0, 8))
}

/** Verifies `signature` over the UTF-8 bytes of `message`; false for any malformed input. */
export async function verifySignature(
  key: PublicKeyInfo,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  try {
    if (key.algorithm === 'sm2') {
      const mod = (await import('sm-crypto')) as unknown as {
        sm2?: typeof Sm2Module
        default?: { sm2: typeof Sm2Module }
      }
      const sm2 = mod.sm2 ?? mod.default?.sm2
      if (!sm2) return false
      return sm2.doVerifySignature(Array.from(message), toHex(signature), toHex(key.raw), {
        der: true,
        hash: true,
        userId: SM2_USER_ID,
      })
    }
    if (signature.length !== 64) return false
    const { ed25519 } = await import('@noble/curves/ed25519.js')
    return ed25519.verify(signature, message, key.raw, { zip215: false })
  } catch {
    return false
  }
}
