import { describe, expect, it } from 'vitest'
import { RouterLinkStub, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { i18n } from '@/i18n'
import type { WorkflowField } from '@/api/types'
import { procedureMatter } from '@/test/procedures'
import MatterFieldValue from './MatterFieldValue.vue'

const subjectField: WorkflowField = {
  name: 'subject',
  type: 'subject',
  labels: { zh: '当事人', en: 'Party' },
}

function render(value: unknown) {
  return mount(MatterFieldValue, {
    props: { field: subjectField, value, matter: procedureMatter({ kind: 'clue' }) },
    global: { plugins: [i18n, ElementPlus], stubs: { RouterLink: RouterLinkStub } },
  })
}

describe('MatterFieldValue', () => {
  it('links a subject on file to its page', () => {
    const wrapper = render({
      kind: 'company',
      subject_id: 7,
      name: '湖州某化工有限公司',
      credit_code: '91330502MA2B3C4D5E',
    })
    const link = wrapper.findComponent(RouterLinkStub)
    expect(link.props('to')).toBe('/subjects/7')
    expect(link.text()).toBe('湖州某化工有限公司')
    expect(wrapper.find('[data-test="subject-value"]').text()).toContain('91330502MA2B3C4D5E')
  })

  it("shows a person's masked number beside the link", () => {
    const wrapper = render({
      kind: 'person',
      subject_id: 8,
      name: '李四',
      id_number_masked: '330502********1231',
    })
    expect(wrapper.findComponent(RouterLinkStub).props('to')).toBe('/subjects/8')
    expect(wrapper.find('[data-test="subject-value"]').text()).toContain('330502********1231')
  })

  it('shows a subject without an id as plain text', () => {
    const wrapper = render({ kind: 'company', name: '湖州某化工有限公司', credit_code: 'X' })
    expect(wrapper.findComponent(RouterLinkStub).exists()).toBe(false)
    expect(wrapper.find('[data-test="subject-value"]').text()).toContain('湖州某化工有限公司')
  })
})
