import { describe, expect, it } from 'vitest'
import type { EventProof, FileRecordAnswer, RecordKey } from '@/api/types'
import sm2Fixture from '@/test/record/sm2-sm3.json'
import edFixture from '@/test/record/ed25519-sha256.json'
import { objectPageFrom } from '@/test/record/fixtures'
import { fromBase64, toBase64 } from './bytes'
import { keyIdOf, parseCheckpointBody, parsePublicKeyPem } from './checkpoint'
import {
  verifyCheckpoint,
  verifyEventProof,
  verifyFileRecord,
  verifyObjectPage,
} from './recordVerify'

// Answers captured from a running server: one SM2/SM3 deployment, one Ed25519/SHA-256.
const deployments = [
  {
    name: 'SM2 + SM3',
    key: sm2Fixture.key as RecordKey,
    proofs: sm2Fixture.proofs as unknown as EventProof[],
  },
  {
    name: 'Ed25519 + SHA-256',
    key: edFixture.key as RecordKey,
    proofs: edFixture.proofs as unknown as EventProof[],
  },
]

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T
const flipHex = (hex: string, at = 0) =>
  hex.slice(0, at) + (hex[at] === '0' ? '1' : '0') + hex.slice(at + 1)

function fileAnswer(p: EventProof): Extract<FileRecordAnswer, { recorded: true }> {
  return {
    sm3: 'ab'.repeat(32),
    recorded: true,
    recorded_at: p.event.at,
    seq: p.event.seq,
    leaf_hash: p.leaf_hash,
    tree_size: p.tree_size,
    proof: p.proof,
    checkpoint: p.checkpoint!,
    hash: p.hash,
  }
}

describe.each(deployments)('record verification ($name)', ({ key, proofs }) => {
  const proof = proofs[0]

  it('verifies every event of an object page against its one checkpoint', async () => {
    const page = objectPageFrom(proofs)
    expect(page.items.length).toBeGreaterThan(1)
    const newer = { ...clone(page.items[0]), seq: page.tree_size + 1, proof: null }
    page.items.unshift(newer)
    const results = await verifyObjectPage(page, key)
    expect(results.get(newer.seq)).toEqual({ ok: false, reason: 'pending' })
    for (const item of page.items.slice(1)) {
      expect(results.get(item.seq), `seq ${item.seq}`).toMatchObject({
        ok: true,
        treeSize: page.tree_size,
      })
    }
  })

  it('fails only the altered event of a page, and every event when the signature is bad', async () => {
    const page = objectPageFrom(proofs)
    const altered = page.items[0]
    altered.canonical = altered.canonical.replace('"outcome":"', '"outcome":"x')
    const results = await verifyObjectPage(page, key)
    expect(results.get(altered.seq)?.ok).toBe(false)
    for (const item of page.items.slice(1)) expect(results.get(item.seq)?.ok).toBe(true)

    const forged = objectPageFrom(proofs)
    const signature = fromBase64(forged.checkpoint!.signature)
    signature[signature.length - 1] ^= 1
    forged.checkpoint!.signature = toBase64(signature)
    for (const result of (await verifyObjectPage(forged, key)).values()) {
      expect(result).toEqual({ ok: false, reason: 'badSignature' })
    }
  })

  it('reads the public key and derives the served key id from it', () => {
    const pub = parsePublicKeyPem(key.public_key_pem)
    expect(pub.algorithm).toBe(key.algorithm)
    expect(keyIdOf(pub.spki)).toBe(key.key_id)
  })

  it('verifies every captured event proof end to end', async () => {
    expect(proofs.length).toBeGreaterThan(2)
    for (const p of proofs) {
      const result = await verifyEventProof(p, key)
      expect(result, `seq ${p.event.seq}`).toEqual({
        ok: true,
        treeSize: p.tree_size,
        checkpointAt: parseCheckpointBody(p.checkpoint!.body)!.time,
        keyId: key.key_id,
      })
    }
  })

  it('rejects an event whose canonical form was altered', async () => {
    const p = clone(proof)
    p.canonical = p.canonical.replace('"client_ip":"127.0.0.1"', '"client_ip":"127.0.0.2"')
    expect(await verifyEventProof(p, key)).toEqual({ ok: false, reason: 'leafMismatch' })
  })

  it('rejects a canonical form that belongs to another event', async () => {
    const p = clone(proof)
    p.canonical = proofs[1].canonical
    expect(await verifyEventProof(p, key)).toEqual({ ok: false, reason: 'canonicalMismatch' })
  })

  it('rejects an inclusion proof with a flipped bit, a missing hash or a wrong tree size', async () => {
    const flipped = clone(proof)
    flipped.proof[1] = flipHex(flipped.proof[1], 5)
    expect(await verifyEventProof(flipped, key)).toEqual({ ok: false, reason: 'inclusionFailed' })
    const short = clone(proof)
    short.proof.pop()
    expect(await verifyEventProof(short, key)).toEqual({ ok: false, reason: 'inclusionFailed' })
    const moved = clone(proof)
    moved.tree_size *= 2
    expect(await verifyEventProof(moved, key)).toEqual({ ok: false, reason: 'inclusionFailed' })
  })

  it('rejects a tree size that the proof fits but the signed checkpoint does not state', async () => {
    const p = clone(proof)
    p.tree_size += 1
    expect(await verifyEventProof(p, key)).toEqual({ ok: false, reason: 'checkpointMismatch' })
  })

  it('rejects a proof whose root is not the checkpoint root', async () => {
    const p = clone(proof)
    const other = proofs.find((q) => q.checkpoint!.root !== p.checkpoint!.root)
    const cp = clone(p.checkpoint!)
    cp.root = flipHex(cp.root)
    p.checkpoint = other ? clone(other.checkpoint!) : cp
    const result = await verifyEventProof(p, key)
    expect(result.ok).toBe(false)
    expect(['checkpointMismatch', 'badCheckpoint']).toContain(!result.ok && result.reason)
  })

  it('reports a proof without a checkpoint as not signed', async () => {
    const p = clone(proof)
    p.checkpoint = null
    expect(await verifyEventProof(p, key)).toEqual({ ok: false, reason: 'noCheckpoint' })
  })

  it('rejects a checkpoint with a corrupted signature', async () => {
    const cp = clone(proof.checkpoint!)
    const sig = fromBase64(cp.signature)
    sig[sig.length - 3] ^= 0x01
    cp.signature = toBase64(sig)
    expect(await verifyCheckpoint(cp, key)).toEqual({ ok: false, reason: 'badSignature' })
  })

  it('rejects a checkpoint body changed after signing, even when consistent', async () => {
    const cp = clone(proof.checkpoint!)
    cp.body = cp.body.replace(/time (\S+)/, 'time 2020-01-01T00:00:00.000Z')
    expect(await verifyCheckpoint(cp, key)).toEqual({ ok: false, reason: 'badSignature' })
  })

  it('rejects a checkpoint whose fields disagree with its body', async () => {
    const cp = clone(proof.checkpoint!)
    cp.size += 1
    expect(await verifyCheckpoint(cp, key)).toEqual({ ok: false, reason: 'badCheckpoint' })
  })

  it('rejects a key whose id is not derived from the public key', async () => {
    const wrong = { ...key, key_id: '0000000000000000' }
    expect(await verifyCheckpoint(proof.checkpoint!, wrong)).toEqual({
      ok: false,
      reason: 'keyIdMismatch',
    })
  })

  it('rejects a proof under the other hash algorithm', async () => {
    const wrong = { ...key, hash: key.hash === 'sm3' ? 'sha256' : 'sm3' } as RecordKey
    expect(await verifyEventProof(proof, wrong)).toEqual({ ok: false, reason: 'hashMismatch' })
  })

  it('verifies a file answer and rejects one pointing at another leaf', async () => {
    const answer = fileAnswer(proof)
    expect((await verifyFileRecord(answer, key)).ok).toBe(true)
    expect(await verifyFileRecord({ ...answer, seq: answer.seq - 1 }, key)).toEqual({
      ok: false,
      reason: 'inclusionFailed',
    })
    expect(
      await verifyFileRecord({ ...answer, leaf_hash: flipHex(answer.leaf_hash) }, key),
    ).toEqual({ ok: false, reason: 'inclusionFailed' })
  })
})

describe('verification across deployments', () => {
  it('rejects a checkpoint signed by another deployment', async () => {
    const foreign = clone(deployments[1].proofs[0].checkpoint!)
    const result = await verifyCheckpoint(foreign, deployments[0].key)
    expect(result).toEqual({ ok: false, reason: 'keyIdMismatch' })
  })

  it('rejects a valid signature checked against another key of the same algorithm', async () => {
    // re-label the foreign checkpoint so only the signature check can catch it
    const { key } = deployments[0]
    const cp = clone(deployments[0].proofs[0].checkpoint!)
    cp.signature = deployments[0].proofs.find((p) => p.checkpoint!.signature !== cp.signature)
      ? deployments[0].proofs.find((p) => p.checkpoint!.body !== cp.body)!.checkpoint!.signature
      : toBase64(new Uint8Array(70))
    expect(await verifyCheckpoint(cp, key)).toEqual({ ok: false, reason: 'badSignature' })
  })
})
