import type { AuditEvent, EventProof, RecordKey } from '@/api/types'
import sm2Fixture from './sm2-sm3.json'

/** Answers captured from a running SM2/SM3 deployment. */
export const recordKey = sm2Fixture.key as RecordKey
export const eventProofs = sm2Fixture.proofs as unknown as EventProof[]
export const proofFor = (seq: number) => eventProofs.find((p) => p.event.seq === seq)!
export const eventsOf = (): AuditEvent[] => eventProofs.map((p) => structuredClone(p.event))
