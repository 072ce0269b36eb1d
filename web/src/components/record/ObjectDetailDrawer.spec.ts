import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import ElementPlus from 'element-plus'
import { i18n } from '@/i18n'
import { useAuthStore } from '@/stores/auth'
import { json, mockFetch } from '@/test/fetchMock'
import { sampleMe } from '@/test/fixtures'
import { eventsOf } from '@/test/record/fixtures'
import ObjectDetailDrawer from './ObjectDetailDrawer.vue'

async function open(permissions: string[]) {
  const pinia = createPinia()
  setActivePinia(pinia)
  useAuthStore().setSession(sampleMe({ permissions }), 'c')
  const wrapper = mount(ObjectDetailDrawer, {
    props: { modelValue: true, title: '湖州市生态环境局', objectType: 'unit', objectId: 3 },
    slots: { default: '<div data-test="info">info</div>' },
    global: { plugins: [pinia, i18n, ElementPlus] },
    attachTo: document.body,
  })
  await flushPromises()
  return wrapper
}

describe('ObjectDetailDrawer', () => {
  beforeEach(() => {
    i18n.global.locale.value = 'zh-CN'
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it("lists the object's record events on the 记录 tab for holders of audit:event:list", async () => {
    const { calls } = mockFetch(() => json(200, { items: eventsOf(), next_cursor: null }))
    await open(['system:unit:list', 'audit:event:list'])
    const tab = document.querySelector<HTMLElement>('[data-test="object-record-tab"]')
    expect(tab).not.toBeNull()
    tab!.click()
    await vi.waitFor(() => expect(calls.length).toBe(1))
    const q = new URL(calls[0].url, 'http://x').searchParams
    expect(q.get('object_type')).toBe('unit')
    expect(q.get('object_id')).toBe('3')
  })

  it('has no 记录 tab without audit:event:list', async () => {
    const { calls } = mockFetch(() => json(200, { items: [], next_cursor: null }))
    await open(['system:unit:list'])
    expect(document.querySelector('[data-test="info"]')).not.toBeNull()
    expect(document.querySelector('[data-test="object-record-tab"]')).toBeNull()
    expect(calls).toHaveLength(0)
  })
})
