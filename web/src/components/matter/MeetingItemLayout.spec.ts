import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RouterLinkStub } from '@vue/test-utils'
import type { Matter, Me } from '@/api/types'
import { clearWorkflowsCache } from '@/composables/useWorkflows'
import { sampleMe } from '@/test/fixtures'
import { mountLayout } from '@/test/mountLayout'
import { actionEvent, meetingItemDef, procedureMatter, units } from '@/test/procedures'
import { layoutFor } from './layouts'
import MeetingItemLayout from './MeetingItemLayout.vue'

const item = (over: Partial<Matter> = {}) =>
  procedureMatter({
    kind: 'meeting_item',
    id: 8,
    number: '湖中院办〔2026〕1号',
    state: 'assigned',
    fields: {
      meeting_title: '第一季度联席会议',
      task: '制定证据收集清单',
      assignee: units.police.unit_id,
    },
    participants: [
      { ...units.court, relation: 'owner', added_at: '' },
      { ...units.police, relation: 'recipient', added_at: '' },
      { ...units.ecology, relation: 'copied', added_at: '' },
    ],
    links: [{ from_matter_id: 5, to_matter_id: 8, relation: 'assign_item', created_at: '' }],
    deadlines: [
      {
        name: 'completion',
        labels: { zh: '办结期限', en: 'Time to complete' },
        started_at: '2026-02-10T09:00:00.000Z',
        due_at: '2026-03-09T16:00:00.000Z',
        due_date: '2026-03-09',
        cleared_at: null,
        status: 'due_soon',
      },
    ],
    files: [
      {
        evidence_id: 41,
        field: 'progress_files',
        filename: '清单初稿.pdf',
        sm3: 'ab'.repeat(32),
        size: 2048,
        added_at: '',
      },
    ],
    ...over,
  })

const reports = [
  actionEvent('report_progress', units.police.unit_id, 'hzga_officer', {
    progress: '已完成初稿',
    progress_files: [41],
  }),
  actionEvent('report_progress', units.police.unit_id, 'hzga_officer', {
    progress: '已吸收检察院意见',
  }),
]

async function mountAs(me: Me, matter: Matter, events = reports) {
  const mounted = await mountLayout(MeetingItemLayout, {
    def: meetingItemDef(),
    matter,
    me,
    events,
  })
  return mounted.wrapper
}

const police = sampleMe({ unit: { id: 6, name: '湖州市公安局', type: 'public_security' } })
const ecology = sampleMe({ unit: { id: 7, name: '湖州市生态环境局', type: 'ecology_environment' } })

beforeEach(() => clearWorkflowsCache())
afterEach(() => document.body.replaceChildren())

describe('MeetingItemLayout', () => {
  it('is the layout of meeting items', () => {
    expect(layoutFor('meeting_item')).toBe(MeetingItemLayout)
  })

  it('shows the meeting it came from, the task, the unit, the deadline card and the reports', async () => {
    const wrapper = await mountAs(
      police,
      item({ relations: ['recipient'], allowed_actions: ['report_progress'] }),
    )
    const meeting = wrapper.findComponent(RouterLinkStub)
    expect(meeting.props('to')).toBe('/matters/5')
    expect(meeting.text()).toBe('第一季度联席会议')
    expect(wrapper.find('[data-test="item-unit"]').text()).toBe('湖州市公安局')
    expect(wrapper.find('[data-test="item-info"]').text()).toContain('制定证据收集清单')
    expect(wrapper.find('[data-level="due_soon"]').exists()).toBe(true)
    const entries = wrapper.findAll('[data-test="thread-entry"]')
    expect(entries.map((e) => e.find('[data-test="thread-text"]').text())).toEqual([
      '已完成初稿',
      '已吸收检察院意见',
    ])
    expect(entries[0]!.text()).toContain('清单初稿.pdf')
    expect(wrapper.find('[data-test="progress-count"]').text()).toBe('共 2 次报送')
    // The assigned unit may report: the report box is there; it is not a copied unit.
    expect(wrapper.find('[data-test="post-box"]').exists()).toBe(true)
    expect(wrapper.find('[data-test="item-copied"]').exists()).toBe(false)
  })

  it('lets a unit copied from the meeting follow the item without acting', async () => {
    const wrapper = await mountAs(ecology, item({ relations: ['copied'], allowed_actions: [] }), [])
    expect(wrapper.find('[data-test="item-copied"]').exists()).toBe(true)
    expect(wrapper.find('[data-test="post-box"]').exists()).toBe(false)
    expect(wrapper.find('[data-test="no-progress"]').text()).toBe('尚未报送进展')
  })
})
