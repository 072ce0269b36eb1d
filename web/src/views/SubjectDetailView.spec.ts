import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { defineComponent } from 'vue'
import ElementPlus from 'element-plus'
import { i18n } from '@/i18n'
import type { MatterListItem, SubjectDetail } from '@/api/types'
import { clearWorkflowsCache } from '@/composables/useWorkflows'
import { apiError, json, mockFetch, type Call } from '@/test/fetchMock'
import { consultationDef } from '@/test/procedures'
import SubjectDetailView from './SubjectDetailView.vue'

const Stub = defineComponent({ template: '<div />' })

const person = (over: Partial<SubjectDetail> = {}): SubjectDetail => ({
  id: 8,
  kind: 'person',
  name: '李四',
  credit_code: null,
  id_number_masked: '330502********1231',
  created_at: '2026-02-01T02:00:00.000Z',
  updated_at: '2026-02-04T02:00:00.000Z',
  id_number: null,
  id_number_shown: false,
  relations: ['copied'],
  matters: '/api/v1/matters?subject_id=8',
  ...over,
})

const row = (over: Partial<MatterListItem>): MatterListItem => ({
  id: 50,
  kind: 'consultation',
  kind_label: '会商',
  number: '湖环商〔2026〕1号',
  title: '某河段水质异常会商',
  state: 'open',
  state_label: '会商中',
  state_category: 'processing',
  owner_unit_id: 3,
  owner_unit_name: '湖州市生态环境局',
  region_code: '330502',
  domain: 'water',
  subject_id: 8,
  amount_fen: null,
  created_at: '2026-03-01T02:00:00.000Z',
  updated_at: '2026-03-02T02:00:00.000Z',
  next_deadline_at: null,
  overdue: false,
  version: 1,
  ...over,
})

const paramsOf = (call: Call) => Object.fromEntries(new URL(call.url, 'http://x').searchParams)

function backend(subject: Response, matters: MatterListItem[] = []) {
  return mockFetch((call) => {
    if (call.url === '/api/v1/subjects/8') return subject
    if (call.url.startsWith('/api/v1/matters?')) {
      return json(200, { items: matters, next_cursor: null, counts: {}, counts_capped: false })
    }
    if (call.url.startsWith('/api/v1/workflows')) {
      return json(200, { workflows: [consultationDef()] })
    }
    return apiError(404, 'NOT_FOUND', 'unexpected ' + call.url)
  })
}

async function setup() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/subjects/:id', component: SubjectDetailView },
      { path: '/matters/:id', component: Stub },
      { path: '/home', component: Stub },
    ],
  })
  await router.push('/subjects/8')
  const wrapper = mount(SubjectDetailView, {
    global: { plugins: [pinia, router, i18n, ElementPlus] },
    attachTo: document.body,
  })
  await flushPromises()
  return { wrapper, router }
}

describe('SubjectDetailView', () => {
  beforeEach(() => {
    i18n.global.locale.value = 'zh-CN'
    clearWorkflowsCache()
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('shows a masked ID number when the unit may not see it in full', async () => {
    backend(json(200, person()))
    const { wrapper } = await setup()
    expect(wrapper.find('[data-test="subject-name"]').text()).toBe('李四')
    expect(wrapper.find('[data-test="subject-kind"]').text()).toBe('个人')
    expect(wrapper.find('[data-test="subject-code"]').text()).toBe('330502********1231')
    expect(wrapper.find('[data-test="subject-id-masked"]').exists()).toBe(true)
    expect(wrapper.find('[data-test="subject-id-recorded"]').exists()).toBe(false)
    expect(wrapper.find('[data-test="subject-relation-copied"]').text()).toBe('抄送')
  })

  it('shows the full ID number with the note that viewing it is recorded', async () => {
    backend(
      json(
        200,
        person({ id_number: '33050219900101123X', id_number_shown: true, relations: ['owner'] }),
      ),
    )
    const { wrapper } = await setup()
    expect(wrapper.find('[data-test="subject-code"]').text()).toBe('33050219900101123X')
    expect(wrapper.find('[data-test="subject-id-recorded"]').text()).toContain('调阅留痕')
    expect(wrapper.find('[data-test="subject-id-masked"]').exists()).toBe(false)
    expect(wrapper.find('[data-test="subject-relation-owner"]').text()).toBe('承办')
  })

  it("shows a company's credit code without any ID number note", async () => {
    backend(
      json(
        200,
        person({
          kind: 'company',
          name: '湖州某化工有限公司',
          credit_code: '91330502MA2B3C4D5E',
          id_number_masked: null,
        }),
      ),
    )
    const { wrapper } = await setup()
    expect(wrapper.find('[data-test="subject-kind"]').text()).toBe('企业')
    expect(wrapper.find('[data-test="subject-code"]').text()).toBe('91330502MA2B3C4D5E')
    expect(wrapper.find('[data-test="subject-id-masked"]').exists()).toBe(false)
    expect(wrapper.find('[data-test="subject-id-recorded"]').exists()).toBe(false)
  })

  it("lists the subject's matters through the matter list filtered by subject_id", async () => {
    const { calls } = backend(json(200, person()), [
      row({}),
      row({ id: 51, number: '湖环商〔2026〕2号', owner_unit_id: 6, owner_unit_name: '' }),
    ])
    const { wrapper, router } = await setup()
    const listCalls = calls.filter((c) => c.url.startsWith('/api/v1/matters?'))
    expect(listCalls.map(paramsOf)).toEqual([{ subject_id: '8', limit: '20' }])
    const table = wrapper.find('[data-test="subject-matters"]')
    expect(table.findAll('[data-test="matter-row-number"]').map((e) => e.text())).toEqual([
      '湖环商〔2026〕1号',
      '湖环商〔2026〕2号',
    ])
    expect(table.findAll('[data-test="matter-row-owner"]').map((e) => e.text())).toEqual([
      '湖州市生态环境局',
      '单位 #6',
    ])
    await table.findAll('.el-table__body tr')[0]!.trigger('click')
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/matters/50')
  })

  it('shows the not-found page on a 404 and asks for no matters', async () => {
    const { calls } = backend(apiError(404, 'NOT_FOUND', '行政相对人不存在'))
    const { wrapper } = await setup()
    expect(wrapper.find('[data-test="subject-not-found"]').text()).toContain(
      '相对人不存在或无权查看',
    )
    expect(wrapper.find('[data-test="subject-name"]').exists()).toBe(false)
    expect(calls.some((c) => c.url.startsWith('/api/v1/matters'))).toBe(false)
  })
})
