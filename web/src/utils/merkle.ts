/**
 * RFC 9162 §2.1 Merkle tree hashing and inclusion-proof verification, for checking the
 * whole-process record in the browser (docs/record-format.md §2).
 *
 * leaf = H(0x00 ‖ data), node = H(0x01 ‖ left ‖ right); H is SM3 or SHA-256.
 */
import { concat, equalBytes } from './bytes'
import { sm3 } from './sm3'

export type HashName = 'sm3' | 'sha256'

export interface Hasher {
  readonly name: HashName
  /** Digest of `data` (32 bytes). */
  hash(data: Uint8Array): Promise<Uint8Array>
}

export const sm3Hasher: Hasher = {
  name: 'sm3',
  hash: async (data) => sm3(data),
}

export const sha256Hasher: Hasher = {
  name: 'sha256',
  hash: async (data) =>
    new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>)),
}

/** The hasher named by an API answer; throws for an unknown name. */
export function hasherFor(name: string): Hasher {
  if (name === 'sm3') return sm3Hasher
  if (name === 'sha256') return sha256Hasher
  throw new Error(`unknown hash: ${name}`)
}

const LEAF = Uint8Array.of(0)
const NODE = Uint8Array.of(1)

export function leafHash(h: Hasher, data: Uint8Array): Promise<Uint8Array> {
  return h.hash(concat(LEAF, data))
}

export function nodeHash(h: Hasher, left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return h.hash(concat(NODE, left, right))
}

/**
 * Recomputes the root from an inclusion proof with the algorithm of RFC 9162 §2.1.3.2.
 * Returns null when the proof cannot belong to a tree of `treeSize` leaves (index out of
 * range, too many or too few hashes, a hash of the wrong length).
 */
export async function rootFromInclusionProof(
  h: Hasher,
  leafIndex: number,
  treeSize: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Promise<Uint8Array | null> {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize)) return null
  if (leafIndex < 0 || leafIndex >= treeSize) return null
  if (leaf.length !== 32 || proof.some((p) => p.length !== 32)) return null
  // Numbers may exceed 2^32, so halve arithmetically instead of with bit shifts.
  const half = (x: number) => Math.floor(x / 2)
  const odd = (x: number) => x % 2 === 1
  let fn = leafIndex
  let sn = treeSize - 1
  let r = leaf
  for (const p of proof) {
    if (sn === 0) return null
    if (odd(fn) || fn === sn) {
      r = await nodeHash(h, p, r)
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn)
          sn = half(sn)
        }
      }
    } else {
      r = await nodeHash(h, r, p)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return sn === 0 ? r : null
}

/** True when `proof` shows that `leaf` is leaf `leafIndex` of the tree of `treeSize` with `root`. */
export async function verifyInclusion(
  h: Hasher,
  leafIndex: number,
  treeSize: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Promise<boolean> {
  const computed = await rootFromInclusionProof(h, leafIndex, treeSize, leaf, proof)
  return computed !== null && root.length === computed.length && equalBytes(computed, root)
}

/** RFC 9162 §2.1.1 Merkle tree hash of the given leaf hashes (the empty tree is H("")). */
export async function merkleRoot(h: Hasher, leaves: readonly Uint8Array[]): Promise<Uint8Array> {
  if (leaves.length === 0) return h.hash(new Uint8Array(0))
  if (leaves.length === 1) return leaves[0]
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return nodeHash(h, await merkleRoot(h, leaves.slice(0, k)), await merkleRoot(h, leaves.slice(k)))
}
