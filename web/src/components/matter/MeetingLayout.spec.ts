import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RouterLinkStub, flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import ElementPlus from 'element-plus'
import { i18n } from '@/i18n'
import type { Matter } from '@/api/types'
import { clearWorkflowsCache } from '@/composables/useWorkflows'
import { json, mockFetch, type Call } from '@/test/fetchMock'
import { actionEvent, meetingDef, meetingItemDef, procedureMatter, units } from '@/test/procedures'
import MeetingLayout from './MeetingLayout.vue'

const meeting = procedureMatter({
  kind: 'meeting',
  id: 5,
  number: '湖环会〔2026〕1号',
  state: 'minutes_recorded',
  fields: {
    title: '第一季度联席会议',
    starts_at: '2026-03-05T01:30:00.000Z',
    place: '市生态环境局三楼会议室',
    participant_units: [6, 3],
    agenda: '通报案件移送情况',
    minutes: '会议议定：公安机关牵头开展联合执法。',
  },
  links: [
    { from_matter_id: 5, to_matter_id: 8, relation: 'assign_item', created_at: '' },
    { from_matter_id: 5, to_matter_id: 9, relation: 'assign_item', created_at: '' },
    { from_matter_id: 5, to_matter_id: 10, relation: 'assign_item', created_at: '' },
  ],
})

const item = (
  id: number,
  unit: typeof units.police,
  state: string,
  category: Matter['state_category'],
  deadline: boolean,
) =>
  procedureMatter({
    kind: 'meeting_item',
    id,
    number: `湖环办〔2026〕${id}号`,
    state,
    state_category: category,
    fields: { task: '开展联合执法', assignee: unit.unit_id },
    participants: [
      { ...units.ecology, relation: 'owner', added_at: '' },
      { ...unit, relation: 'recipient', added_at: '' },
    ],
    deadlines: deadline
      ? [
          {
            name: 'completion',
            labels: { zh: '办理期限', en: 'Time to complete' },
            started_at: '2026-03-05T02:00:00.000Z',
            due_at: '2026-03-01T16:00:00.000Z',
            due_date: '2026-03-01',
            cleared_at: null,
            status: 'overdue',
          },
        ]
      : [],
  })

function handler(call: Call) {
  if (call.url.startsWith('/api/v1/workflows')) {
    return json(200, { workflows: [meetingDef(), meetingItemDef()] })
  }
  if (call.url.includes('/timeline')) {
    return json(200, {
      items: [
        actionEvent('assign_item', 7, 'hzhb_officer', {
          item_task: '开展联合执法',
          item_units: [6, 3],
        }),
      ],
      next_cursor: null,
    })
  }
  if (call.url === '/api/v1/matters/8')
    return json(200, item(8, units.police, 'assigned', 'processing', true))
  if (call.url === '/api/v1/matters/9')
    return json(200, item(9, units.court, 'done', 'success', false))
  return json(404, { error: { code: 'NOT_FOUND', message: '事项不存在', field: '' } })
}

beforeEach(() => {
  clearWorkflowsCache()
  setActivePinia(createPinia())
})
afterEach(() => document.body.replaceChildren())

describe('MeetingLayout', () => {
  it('shows schedule, minutes and each action item with its unit, deadline card and state', async () => {
    mockFetch(handler)
    const wrapper = mount(MeetingLayout, {
      props: { def: meetingDef(), matter: meeting },
      global: {
        plugins: [createPinia(), i18n, ElementPlus],
        stubs: { RouterLink: RouterLinkStub },
      },
    })
    await flushPromises()
    await flushPromises()
    expect(wrapper.find('[data-test="meeting-schedule"]').text()).toContain(
      '市生态环境局三楼会议室',
    )
    expect(wrapper.find('[data-test="meeting-schedule"]').text()).not.toContain('会议议定')
    expect(wrapper.find('[data-test="meeting-minutes"]').text()).toContain(
      '公安机关牵头开展联合执法',
    )

    const items = wrapper.find('[data-test="meeting-items"]')
    expect(items.findAll('[data-test="item-link"]').map((a) => a.text())).toEqual([
      '湖环办〔2026〕8号',
      '湖环办〔2026〕9号',
      '事项 #10',
    ])
    expect(items.findAll('[data-test="item-unit"]').map((a) => a.text())).toEqual([
      '湖州市公安局',
      '湖州市中级人民法院',
      '',
    ])
    expect(items.find('[data-level="overdue"]').exists()).toBe(true)
    expect(items.findAll('[data-test="state-chip"]').map((c) => c.text())).toEqual([
      '办理中',
      '已销号',
    ])
    expect(items.text()).toContain('无权查看')
    expect(wrapper.find('[data-test="items-done"]').text()).toBe('已销号 1 / 共 3 项')
    expect(wrapper.find('[data-test="meeting-notes"]').text()).toContain('开展联合执法')
  })
})
