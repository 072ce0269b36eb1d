import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { Matter, Me } from '@/api/types'
import { clearWorkflowsCache } from '@/composables/useWorkflows'
import { sampleMe } from '@/test/fixtures'
import { mountLayout } from '@/test/mountLayout'
import { actionEvent, noticeDef, procedureMatter, units } from '@/test/procedures'
import NoticeLayout from './NoticeLayout.vue'

const notice = (over: Partial<Matter> = {}) =>
  procedureMatter({
    kind: 'notice',
    number: '湖环通〔2026〕1号',
    state: 'published',
    fields: {
      title: '关于开展春季执法检查的通知',
      body: '请各单位于三月底前报送。',
      audience_types: ['court', 'public_security'],
    },
    participants: [
      { ...units.ecology, relation: 'owner', added_at: '' },
      { ...units.police, relation: 'recipient', added_at: '' },
      { ...units.court, relation: 'recipient', added_at: '' },
    ],
    ...over,
  })

const policeRead = actionEvent('read', units.police.unit_id, 'hzga_officer', {
  read_note: '已传达',
})

let timelineUrls: string[] = []

async function mountAs(me: Me, matter: Matter, events = [policeRead]) {
  const mounted = await mountLayout(NoticeLayout, { def: noticeDef(), matter, me, events })
  timelineUrls = mounted.timelineUrls
  return mounted.wrapper
}

const sender = sampleMe({ unit: { id: 7, name: '湖州市生态环境局', type: 'ecology_environment' } })
const court = sampleMe({ unit: { id: 3, name: '湖州市中级人民法院', type: 'court' } })
const police = sampleMe({ unit: { id: 6, name: '湖州市公安局', type: 'public_security' } })

beforeEach(() => clearWorkflowsCache())
afterEach(() => document.body.replaceChildren())

describe('NoticeLayout', () => {
  it('shows the sender who has read it and who has not', async () => {
    const wrapper = await mountAs(sender, notice({ relations: ['owner'] }))
    const rows = wrapper.findAll('[data-test="receipt-row"]')
    expect(rows.map((r) => [r.attributes('data-unit'), r.attributes('data-read')])).toEqual([
      ['湖州市公安局', 'true'],
      ['湖州市中级人民法院', 'false'],
    ])
    expect(wrapper.find('[data-test="read-count"]').text()).toBe('已阅 1 / 共 2 家单位')
    expect(wrapper.find('[data-test="read-receipts"]').text()).toContain('已传达')
    expect(wrapper.find('[data-test="own-receipt"]').exists()).toBe(false)
    // Only the read events are asked for, not the whole timeline.
    expect(timelineUrls).toHaveLength(1)
    expect(timelineUrls[0]).toContain('action=read')
  })

  it('filters the receipts to the units that have not read it', async () => {
    const wrapper = await mountAs(sender, notice({ relations: ['owner'] }))
    await wrapper.find('[data-test="receipt-filter-unread"] input').setValue(true)
    await flushPromises()
    const rows = wrapper.findAll('[data-test="receipt-row"]')
    expect(rows.map((r) => r.attributes('data-unit'))).toEqual(['湖州市中级人民法院'])
  })

  it('shows the targets: chosen unit types as tags, no region as any region', async () => {
    const wrapper = await mountAs(sender, notice({ relations: ['owner'] }))
    const audience = wrapper.find('[data-test="notice-audience"]')
    expect(audience.findAll('[data-test="enum-value"]').map((t) => t.text())).toEqual([
      '人民法院',
      '公安机关',
    ])
    expect(audience.text()).toContain('不限地区')
  })

  it('asks a recipient that has not read it to confirm, and opens the read action', async () => {
    const wrapper = await mountAs(
      court,
      notice({ relations: ['recipient'], allowed_actions: ['read'] }),
    )
    expect(wrapper.find('[data-test="read-receipts"]').exists()).toBe(false)
    await wrapper.find('[data-test="notice-confirm-read"]').trigger('click')
    expect(wrapper.emitted('act')?.[0]?.[0]).toMatchObject({ name: 'read' })
  })

  it('tells a recipient that has read it when and by whom', async () => {
    const wrapper = await mountAs(
      police,
      notice({ relations: ['recipient'], allowed_actions: ['read'] }),
    )
    const banner = wrapper.find('[data-test="own-receipt"]')
    expect(banner.text()).toContain('本单位已于')
    expect(banner.text()).toContain('hzga_officer')
    expect(wrapper.find('[data-test="notice-confirm-read"]').exists()).toBe(false)
  })
})
