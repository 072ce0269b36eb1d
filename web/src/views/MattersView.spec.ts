import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { defineComponent } from 'vue'
import ElementPlus from 'element-plus'
import { i18n } from '@/i18n'
import type { MatterListItem } from '@/api/types'
import { clearDictCache } from '@/composables/useDict'
import { clearWorkflowsCache } from '@/composables/useWorkflows'
import { useAuthStore } from '@/stores/auth'
import { apiError, json, mockFetch } from '@/test/fetchMock'
import { sampleMe } from '@/test/fixtures'
import { consultationDef } from '@/test/procedures'
import MattersView from './MattersView.vue'

const Stub = defineComponent({ template: '<div />' })

const row = (over: Partial<MatterListItem>): MatterListItem => ({
  id: 50,
  kind: 'consultation',
  kind_label: '会商',
  number: '湖环商〔2026〕1号',
  title: '某河段水质异常会商',
  state: 'open',
  state_label: '会商中',
  state_category: 'processing',
  owner_unit_id: 7,
  owner_unit_name: '湖州市生态环境局',
  region_code: '330502',
  domain: 'water',
  subject_id: null,
  amount_fen: null,
  created_at: '2026-03-01T02:00:00.000Z',
  updated_at: '2026-03-02T02:00:00.000Z',
  next_deadline_at: null,
  overdue: false,
  version: 1,
  ...over,
})

async function setup(page: { counts: Record<string, number>; counts_capped: boolean }) {
  mockFetch((call) => {
    if (call.url.startsWith('/api/v1/matters?')) {
      return json(200, {
        items: [row({}), row({ id: 51, owner_unit_id: 6, owner_unit_name: '湖州市公安局' })],
        next_cursor: null,
        ...page,
      })
    }
    if (call.url.startsWith('/api/v1/workflows')) {
      return json(200, { workflows: [consultationDef()] })
    }
    return apiError(404, 'NOT_FOUND', 'unexpected ' + call.url)
  })
  const pinia = createPinia()
  setActivePinia(pinia)
  useAuthStore().setSession(sampleMe({ permissions: ['matter:item:read'] }))
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/matters', component: MattersView },
      { path: '/matters/:id', component: Stub },
    ],
  })
  await router.push('/matters')
  const wrapper = mount(MattersView, {
    global: { plugins: [pinia, router, i18n, ElementPlus] },
    attachTo: document.body,
  })
  await flushPromises()
  return wrapper
}

describe('MattersView', () => {
  beforeEach(() => {
    i18n.global.locale.value = 'zh-CN'
    clearWorkflowsCache()
    clearDictCache()
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it("shows each matter's owner unit by the name the list gives", async () => {
    const wrapper = await setup({ counts: { open: 2 }, counts_capped: false })
    expect(wrapper.findAll('[data-test="matter-row-owner"]').map((e) => e.text())).toEqual([
      '湖州市生态环境局',
      '湖州市公安局',
    ])
  })

  it('shows exact counts as they are', async () => {
    const wrapper = await setup({ counts: { open: 2, concluded: 3 }, counts_capped: false })
    expect(wrapper.find('[data-test="chip-all"]').text()).toBe('全部 5')
    expect(wrapper.find('[data-test="counts-capped"]').exists()).toBe(false)
  })

  it('marks capped counts as minimums and says why', async () => {
    const wrapper = await setup({ counts: { open: 2000 }, counts_capped: true })
    expect(wrapper.find('[data-test="chip-all"]').text()).toBe('全部 2000+')
    expect(wrapper.find('[data-test="chip-open"]').text()).toBe('会商中 2000+')
    expect(wrapper.find('[data-test="counts-capped"]').text()).toContain('至少数')
  })
})
