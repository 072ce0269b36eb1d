import { describe, expect, it } from 'vitest'
import {
  actionEvent,
  consultationDef,
  meetingDef,
  noticeDef,
  procedureMatter,
  units,
} from '@/test/procedures'
import {
  linkedFrom,
  linkedTo,
  messageActionOf,
  outcomeFields,
  postActionOf,
  readReceipts,
  receiptActionOf,
  threadOf,
  transientEntries,
} from './matterThread'

const unknown = (id: number) => `单位 #${id}`

describe('threadOf', () => {
  it('lists the transient entries oldest first with their unit, texts and files', () => {
    const matter = procedureMatter({
      kind: 'consultation',
      files: [
        {
          evidence_id: 91,
          field: 'message_files',
          filename: '现场照片.png',
          sm3: 'ab',
          size: 68,
          added_at: '2026-03-02T03:00:00.000Z',
        },
      ],
    })
    const second = actionEvent('post', units.police.unit_id, 'hzga_officer', {
      message: '已派员取样。',
      message_files: [91],
    })
    const first = actionEvent('post', units.ecology.unit_id, 'hzhb_officer', {
      message: '请公安机关派员。',
    })
    first.seq = 1
    const created = actionEvent('create', units.ecology.unit_id, 'hzhb_officer', {
      title: '不是发言',
    })
    const refused = { ...actionEvent('post', 6, 'x', { message: '被拒绝' }), outcome: 'denied' }
    const thread = threadOf(consultationDef(), matter, [second, created, refused, first], unknown)
    expect(thread.map((e) => e.entries.map((v) => v.value))).toEqual([
      ['请公安机关派员。'],
      ['已派员取样。'],
    ])
    expect(thread.map((e) => e.unitName)).toEqual(['湖州市生态环境局', '湖州市公安局'])
    expect(thread[1]!.files.map((f) => f.filename)).toEqual(['现场照片.png'])
  })

  it('prefers the unit name the server sends and falls back to the id', () => {
    const matter = procedureMatter({ kind: 'consultation' })
    const named = { ...actionEvent('post', 99, 'u', { message: 'a' }), actor_unit_name: '某单位' }
    const bare = actionEvent('post', 98, 'v', { message: 'b' })
    const thread = threadOf(consultationDef(), matter, [named, bare], unknown)
    expect(thread.map((e) => e.unitName)).toEqual(['某单位', '单位 #98'])
  })

  it('keeps only the given actions', () => {
    const matter = procedureMatter({ kind: 'consultation' })
    const post = actionEvent('post', 7, 'u', { message: 'a' })
    const invite = actionEvent('invite', 7, 'u', { new_units: [3] })
    expect(threadOf(consultationDef(), matter, [post, invite], unknown, ['post'])).toHaveLength(1)
    expect(transientEntries(consultationDef(), invite).map((v) => v.field.name)).toEqual([
      'new_units',
    ])
  })
})

describe('actions of the layouts', () => {
  it('finds the message action from the definition and offers it only when allowed', () => {
    expect(messageActionOf(consultationDef())?.name).toBe('post')
    expect(messageActionOf(meetingDef())?.name).toBe('assign_item')
    const open = procedureMatter({ kind: 'consultation', allowed_actions: ['post', 'conclude'] })
    expect(postActionOf(consultationDef(), open)?.name).toBe('post')
    const closed = procedureMatter({ kind: 'consultation', allowed_actions: [] })
    expect(postActionOf(consultationDef(), closed)).toBeUndefined()
  })

  it('finds the recipients’ confirming action of a notice', () => {
    expect(receiptActionOf(noticeDef())?.name).toBe('read')
    expect(receiptActionOf(consultationDef())).toBeUndefined()
  })
})

describe('readReceipts', () => {
  it('gives every receiving unit, read by its first read event, the others unread', () => {
    const matter = procedureMatter({
      kind: 'notice',
      participants: [
        { ...units.ecology, relation: 'owner', added_at: '' },
        { ...units.police, relation: 'recipient', added_at: '' },
        { ...units.court, relation: 'recipient', added_at: '' },
      ],
    })
    const events = [
      actionEvent('read', 6, 'hzga_officer', { read_note: '已传达' }, '2026-03-03T01:00:00.000Z'),
      actionEvent('read', 6, 'hzga_admin', {}, '2026-03-04T01:00:00.000Z'),
    ]
    const receipts = readReceipts(matter, events)
    expect(
      receipts.map((r) => [r.unitName, r.read?.username ?? null, r.read?.note ?? null]),
    ).toEqual([
      ['湖州市公安局', 'hzga_officer', '已传达'],
      ['湖州市中级人民法院', null, null],
    ])
  })
})

describe('outcomeFields and linkedFrom', () => {
  it('gives the fields entered by the action that led to the current state', () => {
    const concluded = procedureMatter({
      kind: 'consultation',
      state: 'concluded',
      fields: { title: '议题', conclusion: '由公安机关立案侦查。' },
    })
    expect(outcomeFields(consultationDef(), concluded).map((f) => f.name)).toEqual(['conclusion'])
    const open = procedureMatter({ kind: 'consultation', fields: { title: '议题' } })
    expect(outcomeFields(consultationDef(), open)).toEqual([])
  })

  it('gives the matters opened from this one by an action', () => {
    const meeting = procedureMatter({
      kind: 'meeting',
      id: 5,
      links: [
        { from_matter_id: 5, to_matter_id: 8, relation: 'assign_item', created_at: '' },
        { from_matter_id: 5, to_matter_id: 9, relation: 'assign_item', created_at: '' },
        { from_matter_id: 2, to_matter_id: 5, relation: 'consult', created_at: '' },
      ],
    })
    expect(linkedFrom(meeting, 'assign_item')).toEqual([8, 9])
    expect(linkedTo(meeting, 'consult')).toEqual([2])
    expect(linkedTo(meeting, 'assign_item')).toEqual([])
  })
})
