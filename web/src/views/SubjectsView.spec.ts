import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { defineComponent } from 'vue'
import ElementPlus from 'element-plus'
import { i18n } from '@/i18n'
import type { Subject } from '@/api/types'
import { apiError, json, mockFetch, type Call } from '@/test/fetchMock'
import SubjectsView from './SubjectsView.vue'

const Stub = defineComponent({ template: '<div />' })

const company: Subject = {
  id: 7,
  kind: 'company',
  name: '湖州某化工有限公司',
  credit_code: '91330502MA2B3C4D5E',
  id_number_masked: null,
  created_at: '2026-02-01T02:00:00.000Z',
  updated_at: '2026-02-03T02:00:00.000Z',
}
const person: Subject = {
  id: 8,
  kind: 'person',
  name: '李四',
  credit_code: null,
  id_number_masked: '330502********1231',
  created_at: '2026-02-01T02:00:00.000Z',
  updated_at: '2026-02-04T02:00:00.000Z',
}

const paramsOf = (call: Call) => Object.fromEntries(new URL(call.url, 'http://x').searchParams)
const subjectCalls = (calls: Call[]) => calls.filter((c) => c.url.startsWith('/api/v1/subjects'))

async function setup(handler: (call: Call) => Response) {
  const mock = mockFetch(handler)
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/subjects', component: SubjectsView },
      { path: '/subjects/:id', component: Stub },
    ],
  })
  await router.push('/subjects')
  const wrapper = mount(SubjectsView, {
    global: { plugins: [pinia, router, i18n, ElementPlus] },
    attachTo: document.body,
  })
  await flushPromises()
  return { wrapper, router, ...mock }
}

describe('SubjectsView', () => {
  beforeEach(() => {
    i18n.global.locale.value = 'zh-CN'
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('lists the subjects with their kind and credit code or masked ID number', async () => {
    const { wrapper, calls } = await setup(() =>
      json(200, { items: [company, person], next_cursor: null, matched_by: 'all' }),
    )
    expect(subjectCalls(calls).map(paramsOf)).toEqual([{ limit: '20' }])
    const text = (name: string) => wrapper.findAll(`[data-test="${name}"]`).map((e) => e.text())
    expect(text('subject-row-name')).toEqual(['湖州某化工有限公司', '李四'])
    expect(text('subject-row-kind')).toEqual(['企业', '个人'])
    expect(text('subject-row-code')).toEqual(['91330502MA2B3C4D5E', '330502********1231'])
    expect(wrapper.find('[data-test="subjects-matched-by"]').exists()).toBe(false)
  })

  it('sends the trimmed search text and says how the server matched it', async () => {
    const { wrapper, calls } = await setup((call) =>
      paramsOf(call).q
        ? json(200, { items: [person], next_cursor: null, matched_by: 'id_number' })
        : json(200, { items: [company, person], next_cursor: null, matched_by: 'all' }),
    )
    await wrapper.find('input[data-test="subjects-search-q"]').setValue(' 33050219900101123X ')
    await wrapper.find('[data-test="subjects-search"]').trigger('submit')
    await flushPromises()
    expect(paramsOf(subjectCalls(calls).at(-1)!)).toEqual({
      q: '33050219900101123X',
      limit: '20',
    })
    expect(wrapper.findAll('[data-test="subject-row-name"]').map((e) => e.text())).toEqual(['李四'])
    expect(wrapper.find('[data-test="subjects-matched-by"]').text()).toBe('按身份证号精确匹配')
  })

  it('shows the server message when the search is refused', async () => {
    const { wrapper } = await setup((call) =>
      paramsOf(call).q
        ? apiError(400, 'INVALID_ARGUMENT', '查询内容不能超过 100 个字符', 'q')
        : json(200, { items: [company], next_cursor: null, matched_by: 'all' }),
    )
    await wrapper.find('input[data-test="subjects-search-q"]').setValue('湖州')
    await wrapper.find('[data-test="subjects-search"]').trigger('submit')
    await flushPromises()
    expect(wrapper.find('.el-alert').text()).toContain('查询内容不能超过 100 个字符')
    expect(wrapper.findAll('[data-test="subject-row-name"]')).toHaveLength(0)
  })

  it('loads the next page with the cursor and appends it', async () => {
    const { wrapper, calls } = await setup((call) =>
      paramsOf(call).cursor === 'c1'
        ? json(200, { items: [person], next_cursor: null, matched_by: 'all' })
        : json(200, { items: [company], next_cursor: 'c1', matched_by: 'all' }),
    )
    await wrapper.find('[data-test="load-more"]').trigger('click')
    await flushPromises()
    expect(paramsOf(subjectCalls(calls).at(-1)!)).toEqual({ cursor: 'c1', limit: '20' })
    expect(wrapper.findAll('[data-test="subject-row-name"]').map((e) => e.text())).toEqual([
      '湖州某化工有限公司',
      '李四',
    ])
    expect(wrapper.find('[data-test="load-more"]').exists()).toBe(false)
  })

  it('opens the subject when its row is clicked', async () => {
    const { wrapper, router } = await setup(() =>
      json(200, { items: [company, person], next_cursor: null, matched_by: 'all' }),
    )
    await wrapper.findAll('.el-table__body tr')[1]!.trigger('click')
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/subjects/8')
  })
})
