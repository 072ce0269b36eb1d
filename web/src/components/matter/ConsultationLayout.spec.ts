import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import ElementPlus, { ElFormItem } from 'element-plus'
import { i18n } from '@/i18n'
import type { Matter } from '@/api/types'
import { clearWorkflowsCache } from '@/composables/useWorkflows'
import { useAuthStore } from '@/stores/auth'
import { sampleMe } from '@/test/fixtures'
import { json, mockFetch, type Call } from '@/test/fetchMock'
import { actionEvent, consultationDef, procedureMatter, units } from '@/test/procedures'
import ConsultationLayout from './ConsultationLayout.vue'

const photo = {
  evidence_id: 91,
  field: 'message_files',
  filename: '取样照片.png',
  sm3: 'ab'.repeat(32),
  size: 2048,
  added_at: '2026-03-02T03:00:00.000Z',
}

const openMatter = (over: Partial<Matter> = {}) =>
  procedureMatter({
    kind: 'consultation',
    fields: {
      title: '某河段水质异常会商',
      description: '请研判是否涉嫌污染环境罪。',
      invited_units: [6],
    },
    files: [photo],
    relations: ['recipient'],
    allowed_actions: ['post'],
    ...over,
  })

const events = [
  actionEvent('post', units.ecology.unit_id, 'hzhb_officer', { message: '请公安机关研判。' }),
  actionEvent('invite', units.ecology.unit_id, 'hzhb_officer', { new_units: [3] }),
  actionEvent('post', units.police.unit_id, 'hzga_officer', {
    message: '已派员现场取样。',
    message_files: [91],
  }),
]

function answer(matterAfterPost?: Matter) {
  return (call: Call) => {
    if (call.url.startsWith('/api/v1/workflows'))
      return json(200, { workflows: [consultationDef()] })
    if (call.url.includes('/timeline'))
      return json(200, { items: [...events].reverse(), next_cursor: null })
    if (call.url.includes('/actions/')) return json(200, matterAfterPost)
    return json(404, {})
  }
}

async function mountLayout(matter: Matter, handler = answer()) {
  const mock = mockFetch(handler)
  const pinia = createPinia()
  setActivePinia(pinia)
  useAuthStore().setSession(
    sampleMe({ unit: { id: 6, name: '湖州市公安局', type: 'public_security' } }),
  )
  const wrapper = mount(ConsultationLayout, {
    props: { def: consultationDef(), matter },
    global: { plugins: [pinia, i18n, ElementPlus] },
    attachTo: document.body,
  })
  await flushPromises()
  return { wrapper, ...mock }
}

beforeEach(() => clearWorkflowsCache())
afterEach(() => document.body.replaceChildren())

describe('ConsultationLayout', () => {
  it('shows the messages as a conversation with unit, text and files, own unit on the right', async () => {
    const { wrapper } = await mountLayout(openMatter())
    const entries = wrapper.findAll('[data-test="thread-entry"]')
    expect(entries.map((e) => e.find('[data-test="thread-unit"]').text())).toEqual([
      '湖州市生态环境局',
      '湖州市生态环境局',
      '湖州市公安局',
    ])
    expect(entries[0]!.text()).toContain('请公安机关研判。')
    expect(entries[1]!.classes()).toContain('note')
    expect(entries[1]!.text()).toContain('增邀单位')
    expect(entries[2]!.classes()).toContain('mine')
    const file = entries[2]!.find('[data-test="thread-file"]')
    expect(file.text()).toBe('取样照片.png')
    expect(file.attributes('href')).toBe('/api/v1/evidence/91/content')
    expect(wrapper.find('[data-test="message-count"]').text()).toBe('共 2 条发言')
  })

  it('posts a message from the post box with If-Match and hands on the matter', async () => {
    const after = openMatter({ version: 2 })
    const { wrapper, calls } = await mountLayout(openMatter(), answer(after))
    const box = wrapper.find('[data-test="post-box"]')
    expect(box.exists()).toBe(true)
    await box.find('[data-test="field-message"] textarea').setValue('同意移送，请补充监测报告。')
    await box.find('[data-test="inline-submit-post"]').trigger('click')
    await flushPromises()
    await flushPromises()
    const post = calls.find((c) => c.url.includes('/actions/'))!
    expect(post.url).toBe('/api/v1/matters/50/actions/post')
    expect(post.headers['If-Match']).toBe('"1"')
    expect(post.body).toEqual({ fields: { message: '同意移送，请补充监测报告。' } })
    expect(wrapper.emitted('done')?.[0]?.[0]).toMatchObject({ version: 2 })
  })

  it('does not post an empty message', async () => {
    const { wrapper, calls } = await mountLayout(openMatter())
    await wrapper.find('[data-test="inline-submit-post"]').trigger('click')
    await flushPromises()
    expect(calls.some((c) => c.url.includes('/actions/'))).toBe(false)
    const item = wrapper.findAllComponents(ElFormItem).find((i) => i.props('prop') === 'message')!
    expect((item.vm as unknown as { validateMessage: string }).validateMessage).toBe(
      '请填写发言内容',
    )
  })

  it('once concluded shows the conclusion and no post box', async () => {
    const { wrapper } = await mountLayout(
      openMatter({
        state: 'concluded',
        state_category: 'success',
        allowed_actions: [],
        fields: { title: '议题', conclusion: '由公安机关立案侦查。' },
      }),
    )
    const outcome = wrapper.find('[data-test="matter-outcome"]')
    expect(outcome.text()).toContain('形成会商结论')
    expect(outcome.find('[data-test="value-conclusion"]').text()).toBe('由公安机关立案侦查。')
    expect(wrapper.find('[data-test="post-box"]').exists()).toBe(false)
    expect(wrapper.find('[data-test="thread-closed"]').exists()).toBe(true)
  })
})
