import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import ElementPlus from 'element-plus'
import { i18n } from '@/i18n'
import { useAuthStore } from '@/stores/auth'
import { json, mockFetch } from '@/test/fetchMock'
import { sampleMe } from '@/test/fixtures'
import { clearRecordKeyCache } from '@/composables/useRecordVerify'
import { objectPageFrom, recordKey } from '@/test/record/fixtures'
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

  it("lists the object's events on the 记录 tab, each checked in the browser, with a bundle link", async () => {
    clearRecordKeyCache()
    const page = objectPageFrom()
    const { calls } = mockFetch((call) =>
      call.url.includes('/api/public/record/key') ? json(200, recordKey) : json(200, page),
    )
    await open(['system:unit:list', 'audit:event:list'])
    const tab = document.querySelector<HTMLElement>('[data-test="object-record-tab"]')
    expect(tab).not.toBeNull()
    tab!.click()
    await vi.waitFor(() =>
      expect(document.querySelectorAll('[data-test="verify-ok"]')).toHaveLength(page.items.length),
    )
    const listed = calls.filter((c) => c.url.includes('/record/objects/'))
    expect(listed).toHaveLength(1)
    expect(new URL(listed[0].url, 'http://x').pathname).toBe('/api/v1/record/objects/unit/3/events')
    const link = document.querySelector<HTMLAnchorElement>('[data-test="download-bundle"]')
    expect(link?.getAttribute('href')).toBe('/api/v1/record/bundle?object_type=unit&object_id=3')
  })

  it('marks an event whose canonical form does not give its leaf hash as failed', async () => {
    clearRecordKeyCache()
    const page = objectPageFrom()
    page.items[0].canonical = page.items[0].canonical.replace('"outcome":"', '"outcome":"x')
    mockFetch((call) =>
      call.url.includes('/api/public/record/key') ? json(200, recordKey) : json(200, page),
    )
    await open(['system:unit:list', 'audit:event:list'])
    document.querySelector<HTMLElement>('[data-test="object-record-tab"]')!.click()
    await vi.waitFor(() =>
      expect(
        document.querySelector(
          `[data-test="row-mark-${page.items[0].seq}"] [data-test="verify-failed"]`,
        ),
      ).not.toBeNull(),
    )
    expect(document.querySelectorAll('[data-test="verify-ok"]')).toHaveLength(page.items.length - 1)
  })

  it('offers no bundle download when the viewer does not see every event of the object', async () => {
    clearRecordKeyCache()
    const page = { ...objectPageFrom(), exportable: false }
    mockFetch((call) =>
      call.url.includes('/api/public/record/key') ? json(200, recordKey) : json(200, page),
    )
    await open(['system:unit:list'])
    document.querySelector<HTMLElement>('[data-test="object-record-tab"]')!.click()
    await vi.waitFor(() =>
      expect(document.querySelectorAll('[data-test="verify-ok"]')).toHaveLength(page.items.length),
    )
    expect(document.querySelector('[data-test="download-bundle"]')).toBeNull()
    expect(document.querySelector('[data-test="object-record-hint"]')?.textContent).toContain(
      '审计管理员',
    )
  })
})
