/**
 * Browser-side checks of the whole-process record: an event's leaf hash recomputed from its
 * canonical form, its inclusion proof against a checkpoint root, and the checkpoint's signature
 * with the deployment's public key. Nothing here trusts the server's own verdict; every check is
 * recomputed from the bytes the server sent.
 */
import type {
  Checkpoint,
  EventProof,
  FileRecordAnswer,
  ObjectRecordPage,
  RecordKey,
} from '@/api/types'
import { equalBytes, fromBase64, fromHex, isDigestHex, toHex, utf8 } from './bytes'
import { keyIdOf, parseCheckpointBody, parsePublicKeyPem, verifySignature } from './checkpoint'
import { hasherFor, leafHash, verifyInclusion } from './merkle'

/** Why a check failed; each has a message under `record.reasons.<reason>` in the locales. */
export type VerifyFailure =
  | 'badKey'
  | 'keyIdMismatch'
  | 'hashMismatch'
  | 'badCheckpoint'
  | 'checkpointMismatch'
  | 'badSignature'
  | 'noCheckpoint'
  | 'canonicalMismatch'
  | 'leafMismatch'
  | 'inclusionFailed'

export type VerifyResult =
  | { ok: true; treeSize: number; checkpointAt: string; keyId: string }
  | { ok: false; reason: VerifyFailure }

const fail = (reason: VerifyFailure): VerifyResult => ({ ok: false, reason })

function hexBytes(hex: string): Uint8Array | null {
  return isDigestHex(hex) ? fromHex(hex.toLowerCase()) : null
}

/**
 * Checks a checkpoint against the deployment key: the key id is that of the served public key,
 * the body names the key's origin and hash, agrees with the checkpoint's fields (and with
 * `expected` size and root when given), and the signature over the body bytes is valid.
 */
export async function verifyCheckpoint(
  checkpoint: Checkpoint,
  key: RecordKey,
  expected?: { size: number; root: string },
): Promise<VerifyResult> {
  let pub
  try {
    pub = parsePublicKeyPem(key.public_key_pem)
  } catch {
    return fail('badKey')
  }
  if (pub.algorithm !== key.algorithm) return fail('badKey')
  if (keyIdOf(pub.spki) !== key.key_id || checkpoint.key_id !== key.key_id) {
    return fail('keyIdMismatch')
  }
  const body = parseCheckpointBody(checkpoint.body)
  if (!body) return fail('badCheckpoint')
  if (body.origin !== key.origin || body.origin !== `lvyuan/${key.key_id}`) {
    return fail('keyIdMismatch')
  }
  if (body.hash !== key.hash) return fail('hashMismatch')
  const root = hexBytes(checkpoint.root)
  if (!root || body.size !== checkpoint.size || !equalBytes(body.root, root)) {
    return fail('badCheckpoint')
  }
  if (expected) {
    const want = hexBytes(expected.root)
    if (!want || expected.size !== body.size || !equalBytes(want, body.root)) {
      return fail('checkpointMismatch')
    }
  }
  let signature: Uint8Array
  try {
    signature = fromBase64(checkpoint.signature)
  } catch {
    return fail('badSignature')
  }
  if (!(await verifySignature(pub, utf8(checkpoint.body), signature))) return fail('badSignature')
  return { ok: true, treeSize: body.size, checkpointAt: body.time, keyId: key.key_id }
}

/** The members of a canonical event that must agree with the event the page shows. */
function canonicalMatches(canonical: string, proof: EventProof): boolean {
  let parsed: unknown
  try {
    parsed = JSON.parse(canonical)
  } catch {
    return false
  }
  if (!parsed || typeof parsed !== 'object') return false
  const c = parsed as {
    seq?: unknown
    action?: unknown
    outcome?: unknown
    at?: unknown
    object?: { type?: unknown; id?: unknown }
  }
  const e = proof.event
  return (
    c.seq === e.seq &&
    proof.leaf_index === e.seq - 1 &&
    c.action === e.action &&
    c.outcome === e.outcome &&
    c.object?.type === e.object_type &&
    c.object?.id === e.object_id
  )
}

/**
 * Verifies one event's proof answer: recomputes the leaf hash from `canonical`, checks it is
 * the event's stored leaf hash, checks the inclusion proof against the root, and checks that
 * root is the signed checkpoint's.
 */
export async function verifyEventProof(proof: EventProof, key: RecordKey): Promise<VerifyResult> {
  const failure = await checkLeafAndInclusion(proof, key)
  if (failure) return fail(failure)
  if (!proof.checkpoint) return fail('noCheckpoint')
  return verifyCheckpoint(proof.checkpoint, key, { size: proof.tree_size, root: proof.root })
}

/** The leaf hash from the canonical form and the inclusion proof to `proof.root`; null when both hold. */
async function checkLeafAndInclusion(
  proof: EventProof,
  key: RecordKey,
): Promise<VerifyFailure | null> {
  if (proof.hash !== key.hash) return 'hashMismatch'
  let hasher
  try {
    hasher = hasherFor(proof.hash)
  } catch {
    return 'hashMismatch'
  }
  if (!canonicalMatches(proof.canonical, proof)) return 'canonicalMismatch'
  const leaf = await leafHash(hasher, utf8(proof.canonical))
  const leafHex = toHex(leaf)
  if (leafHex !== proof.leaf_hash.toLowerCase()) return 'leafMismatch'
  if (proof.event.leaf_hash && leafHex !== proof.event.leaf_hash.toLowerCase()) {
    return 'leafMismatch'
  }
  const root = hexBytes(proof.root)
  const path = proof.proof.map(hexBytes)
  if (!root || path.some((p) => p === null)) return 'inclusionFailed'
  const included = await verifyInclusion(
    hasher,
    proof.leaf_index,
    proof.tree_size,
    leaf,
    path as Uint8Array[],
    root,
  )
  return included ? null : 'inclusionFailed'
}

/** What the check of one event of an object page found; `pending`: not yet under the checkpoint. */
export type PageEventResult = VerifyResult | { ok: false; reason: 'pending' }

/**
 * Verifies every event of an object's record page: the page's checkpoint signature once, then
 * each event's leaf hash and inclusion proof against that checkpoint's root. Events newer than
 * the checkpoint (proof null) are `pending`. Keyed by seq.
 */
export async function verifyObjectPage(
  page: ObjectRecordPage,
  key: RecordKey,
): Promise<Map<number, PageEventResult>> {
  const out = new Map<number, PageEventResult>()
  const checkpoint =
    page.checkpoint && page.root
      ? await verifyCheckpoint(page.checkpoint, key, { size: page.tree_size, root: page.root })
      : fail('noCheckpoint')
  for (const item of page.items) {
    if (!item.proof) {
      out.set(item.seq, { ok: false, reason: 'pending' })
      continue
    }
    const failure = await checkLeafAndInclusion(
      {
        event: item,
        canonical: item.canonical,
        leaf_index: item.seq - 1,
        leaf_hash: item.leaf_hash,
        tree_size: page.tree_size,
        root: page.root ?? '',
        hash: page.hash,
        proof: item.proof,
        checkpoint: page.checkpoint,
      },
      key,
    )
    out.set(item.seq, failure ? fail(failure) : checkpoint)
  }
  return out
}

/**
 * Verifies a public file answer: the upload event's leaf (as given; its content is masked) is
 * leaf `seq − 1` of the signed checkpoint's tree. Only call with `recorded: true` answers.
 */
export async function verifyFileRecord(
  answer: Extract<FileRecordAnswer, { recorded: true }>,
  key: RecordKey,
): Promise<VerifyResult> {
  if (answer.hash !== key.hash) return fail('hashMismatch')
  let hasher
  try {
    hasher = hasherFor(answer.hash)
  } catch {
    return fail('hashMismatch')
  }
  const leaf = hexBytes(answer.leaf_hash)
  const root = hexBytes(answer.checkpoint?.root ?? '')
  const path = answer.proof.map(hexBytes)
  if (!leaf || !root || path.some((p) => p === null)) return fail('inclusionFailed')
  if (answer.checkpoint.size !== answer.tree_size) return fail('checkpointMismatch')
  const included = await verifyInclusion(
    hasher,
    answer.seq - 1,
    answer.tree_size,
    leaf,
    path as Uint8Array[],
    root,
  )
  if (!included) return fail('inclusionFailed')
  return verifyCheckpoint(answer.checkpoint, key)
}
