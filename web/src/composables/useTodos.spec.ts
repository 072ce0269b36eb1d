import { describe, expect, it } from 'vitest'
import type { MatterSummary, Todo } from '@/api/types'
import { sampleDef } from '@/test/workflows'
import { deadlineLevel } from '@/utils/matterFormat'
import { candidateTodos, openStates, todoRow } from './useTodos'

const summary = (over: Partial<MatterSummary>): MatterSummary => ({
  id: 1,
  kind: 'sample',
  kind_label: '样例',
  number: '湖环样〔2026〕1号',
  title: 't',
  state: 'open',
  state_label: '办理中',
  state_category: 'processing',
  owner_unit_id: 7,
  region_code: '330502',
  domain: 'water',
  subject_id: null,
  amount_fen: null,
  created_at: '2026-02-13T01:00:00.000Z',
  updated_at: '2026-02-13T01:00:00.000Z',
  next_deadline_at: null,
  overdue: false,
  version: 1,
  ...over,
})

describe('to-dos', () => {
  it('takes the open states of the definitions', () => {
    expect(openStates([sampleDef()])).toEqual(['open'])
  })

  it('keeps the matters whose state has an action the user may take by role and unit type', () => {
    const matters = [
      summary({ id: 1 }),
      summary({ id: 2, state: 'done' }),
      summary({ id: 3, kind: 'unknown' }),
    ]
    const ids = (roles: string[], type: string) =>
      candidateTodos(matters, [sampleDef()], roles, type).map((m) => m.id)
    expect(ids(['enforcement_officer'], 'ecology_environment')).toEqual([1])
    expect(ids(['procurator'], 'procuratorate')).toEqual([1])
    expect(ids(['police_officer'], 'public_security')).toEqual([])
  })

  it('reads a to-do of GET /api/v1/todos with its action names and deadline status', () => {
    const item: Todo = {
      ...summary({ id: 5 }),
      actions: [
        { name: 'close', labels: { zh: '办结', en: 'Close' }, style: 'primary' },
        'supervise',
      ],
      next_deadline: {
        name: 'first_handling',
        labels: { zh: '期限', en: 'Deadline' },
        started_at: '2026-02-13T01:00:00.000Z',
        due_at: '2026-02-24T16:00:00.000Z',
        due_date: '2026-02-24',
        cleared_at: null,
        status: 'due_soon',
      },
    }
    expect(todoRow(item)).toMatchObject({
      actions: ['close', 'supervise'],
      deadlineStatus: 'due_soon',
    })
  })
})

describe('deadlineLevel', () => {
  const now = Date.UTC(2026, 1, 13, 0, 0, 0)
  it('prefers the server status and falls back to the instant', () => {
    expect(deadlineLevel('2026-03-01T00:00:00Z', false, 'overdue', now)).toBe('overdue')
    expect(deadlineLevel('2026-03-01T00:00:00Z', true, undefined, now)).toBe('overdue')
    expect(deadlineLevel('2026-02-12T00:00:00Z', false, undefined, now)).toBe('overdue')
    expect(deadlineLevel('2026-02-14T12:00:00Z', false, undefined, now)).toBe('due_soon')
    expect(deadlineLevel('2026-02-20T00:00:00Z', false, undefined, now)).toBe('ok')
    expect(deadlineLevel(null, false, undefined, now)).toBe('ok')
  })
})
