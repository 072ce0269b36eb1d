import { describe, expect, it } from 'vitest'
import { auditFilters, rangeBounds, readKindFilters } from './auditQuery'

const form = {
  action: ' unit. ',
  actor: '',
  outcome: 'ok',
  unit_id: 3,
  object_type: 'unit',
  object_id: '3',
  request_id: '',
  range: null as [string, string] | null,
}

describe('audit query', () => {
  it('turns a local time range into ISO bounds with an inclusive end second', () => {
    const b = rangeBounds(['2026-03-01T08:00:00', '2026-03-01T09:30:15'])
    expect(new Date(b.from!).getTime()).toBe(new Date('2026-03-01T08:00:00').getTime())
    expect(new Date(b.to!).getTime()).toBe(new Date('2026-03-01T09:30:15.999').getTime())
    expect(rangeBounds(null)).toEqual({})
  })

  it('maps the search form to the endpoint filters, trimming text', () => {
    expect(auditFilters(form)).toEqual({
      action: 'unit.',
      actor: '',
      outcome: 'ok',
      unit_id: 3,
      object_type: 'unit',
      object_id: '3',
      request_id: '',
    })
    expect(auditFilters({ ...form, unit_id: null }).unit_id).toBeUndefined()
  })

  it('asks for one action prefix per read kind, or for the merge of both', () => {
    const reads = { kind: 'view' as const, actor: 'a', outcome: '', unit_id: null, range: null }
    expect(readKindFilters(reads)).toMatchObject({ action: 'record.view', actor: 'a' })
    expect(readKindFilters({ ...reads, kind: 'evidence' })).toMatchObject({ action: 'evidence.' })
    expect(readKindFilters({ ...reads, kind: 'all' })).toMatchObject({ kind: 'all' })
    expect(readKindFilters({ ...reads, kind: 'all' }).action).toBeUndefined()
  })
})
