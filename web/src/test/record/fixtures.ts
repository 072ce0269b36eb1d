import type { AuditEvent, EventProof, ObjectRecordPage, RecordKey } from '@/api/types'
import sm2Fixture from './sm2-sm3.json'

/** Answers captured from a running SM2/SM3 deployment. */
export const recordKey = sm2Fixture.key as RecordKey
export const eventProofs = sm2Fixture.proofs as unknown as EventProof[]
export const proofFor = (seq: number) => eventProofs.find((p) => p.event.seq === seq)!
export const eventsOf = (): AuditEvent[] => eventProofs.map((p) => structuredClone(p.event))

/**
 * An object page as GET /api/v1/record/objects/{type}/{id}/events answers it, built from the
 * captured proofs that share the first one's checkpoint.
 */
export function objectPageFrom(proofs: EventProof[] = eventProofs): ObjectRecordPage {
  const first = proofs[0]
  const same = proofs.filter((p) => p.tree_size === first.tree_size)
  return {
    items: same.map((p) => ({
      ...structuredClone(p.event),
      canonical: p.canonical,
      proof: [...p.proof],
    })),
    next_cursor: null,
    hash: first.hash,
    exportable: true,
    tree_size: first.tree_size,
    root: first.root,
    checkpoint: structuredClone(first.checkpoint),
  }
}
