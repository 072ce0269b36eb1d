import { describe, expect, it } from 'vitest'
import reference from '../../../tests/data/merkle/reference_tree_rfc6962.json'
import { fromBase64, fromHex, toHex, utf8 } from './bytes'
import {
  leafHash,
  merkleRoot,
  rootFromInclusionProof,
  sha256Hasher,
  sm3Hasher,
  verifyInclusion,
} from './merkle'

interface InclusionProbe {
  leafIdx: number
  treeSize: number
  root: string
  leafHash: string
  proof: string[] | null
  desc: string
  wantErr: boolean
}

const probes = import.meta.glob<InclusionProbe>(
  '../../../tests/data/merkle/transparency-dev/testdata/inclusion/**/*.json',
  { eager: true, import: 'default' },
)

/** Probe values are base64 hashes, but corrupted probes hold arbitrary text. */
function bytesOf(value: string): Uint8Array {
  try {
    return fromBase64(value)
  } catch {
    return utf8(value)
  }
}

describe('RFC 9162 inclusion proofs', () => {
  it('accepts every happy-path probe of transparency-dev and rejects every corrupted one', async () => {
    const entries = Object.entries(probes)
    expect(entries.length).toBe(98)
    let accepted = 0
    for (const [file, p] of entries) {
      const ok = await verifyInclusion(
        sha256Hasher,
        p.leafIdx,
        p.treeSize,
        bytesOf(p.leafHash),
        (p.proof ?? []).map(bytesOf),
        bytesOf(p.root),
      )
      expect(ok, `${file}: ${p.desc}`).toBe(!p.wantErr)
      if (ok) accepted++
    }
    expect(accepted).toBeGreaterThan(5)
  })

  it('computes the RFC 6962 reference roots for trees of 0 to 8 leaves', async () => {
    const leaves = await Promise.all(
      reference.leaf_inputs_hex.map((hex) => leafHash(sha256Hasher, fromHex(hex))),
    )
    expect(toHex(leaves[0])).toBe(reference.node_hashes_by_level[0][0])
    for (const [size, root] of Object.entries(reference.root_hashes_by_tree_size)) {
      expect(toHex(await merkleRoot(sha256Hasher, leaves.slice(0, Number(size)))), size).toBe(root)
    }
  })

  it('rejects a leaf index beyond the tree and a proof with one hash too many', async () => {
    const leaf = await leafHash(sm3Hasher, utf8('a'))
    expect(await rootFromInclusionProof(sm3Hasher, 1, 1, leaf, [])).toBeNull()
    expect(await rootFromInclusionProof(sm3Hasher, 0, 1, leaf, [leaf])).toBeNull()
    expect(await rootFromInclusionProof(sm3Hasher, 0, 1, leaf, [])).toEqual(leaf)
  })

  it('verifies SM3 proofs for every leaf of a 7-leaf tree it builds itself', async () => {
    const leaves = await Promise.all(
      Array.from({ length: 7 }, (_, i) => leafHash(sm3Hasher, utf8(`event ${i}`))),
    )
    const root = await merkleRoot(sm3Hasher, leaves)
    // leaf 4 of 7: siblings are leaf 5, then the node of leaf 6, then the root of leaves 0..3
    const proof = [leaves[5], leaves[6], await merkleRoot(sm3Hasher, leaves.slice(0, 4))]
    expect(await verifyInclusion(sm3Hasher, 4, 7, leaves[4], proof, root)).toBe(true)
    expect(await verifyInclusion(sm3Hasher, 5, 7, leaves[4], proof, root)).toBe(false)
    expect(await verifyInclusion(sm3Hasher, 4, 7, leaves[3], proof, root)).toBe(false)
  })
})

describe('leaf hash of the worked example (docs/record-format.md §1.2)', () => {
  const event =
    '{"action":"unit.update","actor":{"unit_id":3,"user_id":7,"username":"hzhb_officer"},"at":"2025-12-02T00:00:00.123Z","changes":{"contact_phone":{"after":"0572-1234567","before":""}},"client_ip":"127.0.0.1","detail":{},"files":[],"object":{"id":"3","type":"unit"},"outcome":"ok","request_id":"req-1","seq":42,"v":1}'

  it('is c1eba408… with SM3', async () => {
    expect(toHex(await leafHash(sm3Hasher, utf8(event)))).toBe(
      'c1eba408c14824141094b7cc5f80c036b7a4a8f6a913a1e32648748f85cf87ca',
    )
  })

  it('is 4310a320… with SHA-256', async () => {
    expect(toHex(await leafHash(sha256Hasher, utf8(event)))).toBe(
      '4310a320af30594127beae6c08768925b454cebb64948655621a848db27e423f',
    )
  })
})
