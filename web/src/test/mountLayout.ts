import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import ElementPlus from 'element-plus'
import type { Component } from 'vue'
import { i18n } from '@/i18n'
import type { Matter, Me, TimelineEvent, WorkflowDef } from '@/api/types'
import { useAuthStore } from '@/stores/auth'
import { json, mockFetch, type Call } from './fetchMock'

/**
 * Mounts a kind's detail layout (components/matter/layouts.ts) for `me`, the server answering
 * with `def` as the only definition, empty dictionaries and `events` as the timeline.
 * `timelineUrls` are the timeline requests the layout made while mounting.
 */
export async function mountLayout(
  layout: Component,
  options: { def: WorkflowDef; matter: Matter; me: Me; events: TimelineEvent[] },
) {
  const { calls } = mockFetch((call: Call) => {
    if (call.url.startsWith('/api/v1/workflows')) return json(200, { workflows: [options.def] })
    if (call.url.startsWith('/api/v1/dicts/')) return json(200, { items: [] })
    if (call.url.includes('/timeline')) {
      return json(200, { items: options.events, next_cursor: null })
    }
    return json(404, {})
  })
  const pinia = createPinia()
  setActivePinia(pinia)
  useAuthStore().setSession(options.me)
  const wrapper = mount(layout, {
    props: { def: options.def, matter: options.matter },
    global: { plugins: [pinia, i18n, ElementPlus], stubs: { RouterLink: RouterLinkStub } },
    attachTo: document.body,
  })
  await flushPromises()
  const timelineUrls = calls.filter((c) => c.url.includes('/timeline')).map((c) => c.url)
  return { wrapper, timelineUrls }
}
