import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import ElementPlus from 'element-plus'
import { i18n } from '@/i18n'
import { clearRecordKeyCache } from '@/composables/useRecordVerify'
import { useAuthStore } from '@/stores/auth'
import { apiError, json, mockFetch, type Call } from '@/test/fetchMock'
import { sampleMe } from '@/test/fixtures'
import { eventsOf, proofFor, recordKey } from '@/test/record/fixtures'
import AuditView from './AuditView.vue'

function backend(extra: (call: Call) => Response | null = () => null) {
  return mockFetch((call) => {
    const own = extra(call)
    if (own) return own
    if (call.url.startsWith('/api/v1/audit/events')) {
      return json(200, { items: eventsOf(), next_cursor: null })
    }
    if (call.url === '/api/public/record/key') return json(200, recordKey)
    const m = call.url.match(/^\/api\/v1\/record\/events\/(\d+)\/proof$/)
    if (m) return json(200, proofFor(Number(m[1])))
    if (call.url === '/api/v1/record/verify') {
      return json(200, {
        state: 'idle',
        done: 0,
        total: 0,
        started_at: null,
        finished_at: null,
        events_checked: 0,
        checkpoints_checked: 0,
        files_checked: 0,
        first_bad_seq: null,
        code: '',
        message: '',
      })
    }
    return apiError(404, 'NOT_FOUND', 'unexpected ' + call.url)
  })
}

async function setup() {
  const pinia = createPinia()
  setActivePinia(pinia)
  useAuthStore().setSession(sampleMe({ permissions: ['audit:event:list'] }), 'csrf')
  const wrapper = mount(AuditView, {
    global: { plugins: [pinia, i18n, ElementPlus] },
    attachTo: document.body,
  })
  await flushPromises()
  return wrapper
}

describe('AuditView', () => {
  beforeEach(() => {
    i18n.global.locale.value = 'zh-CN'
    clearRecordKeyCache()
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('lists events by seq and verifies an expanded one in the browser', async () => {
    const { calls } = backend()
    const wrapper = await setup()
    const first = eventsOf()[0]
    expect(wrapper.findAll('[data-test="event-seq"]').map((e) => e.text())).toContain(
      String(first.seq),
    )
    await wrapper.find('.el-table__expand-icon').trigger('click')
    await flushPromises()
    const detail = wrapper.find(`[data-test="event-detail-${first.seq}"]`)
    expect(detail.find('[data-test="event-leaf-hash"]').text()).toBe(first.leaf_hash)
    await detail.find('[data-test="verify-button"]').trigger('click')
    await vi.waitFor(() => expect(detail.find('[data-test="verify-ok"]').exists()).toBe(true))
    expect(detail.text()).toContain('已核验')
    expect(calls.some((c) => c.url === `/api/v1/record/events/${first.seq}/proof`)).toBe(true)
  })

  it('shows a red reason when the server answers with a leaf that does not match', async () => {
    const first = eventsOf()[0]
    const tampered = structuredClone(proofFor(first.seq))
    tampered.leaf_hash = '00'.repeat(32)
    backend((call) => (call.url.endsWith('/proof') ? json(200, tampered) : null))
    const wrapper = await setup()
    await wrapper.find('.el-table__expand-icon').trigger('click')
    await flushPromises()
    await wrapper.find('[data-test="verify-button"]').trigger('click')
    await vi.waitFor(() => expect(wrapper.find('[data-test="verify-failed"]').exists()).toBe(true))
    expect(wrapper.find('[data-test="verify-failed"]').text()).toContain('叶子哈希')
  })

  it('shows "尚未纳入检查点" on a 409', async () => {
    backend((call) =>
      call.url.endsWith('/proof')
        ? apiError(409, 'FAILED_PRECONDITION', '该事件尚未纳入签名检查点，请稍后再试')
        : null,
    )
    const wrapper = await setup()
    await wrapper.find('.el-table__expand-icon').trigger('click')
    await flushPromises()
    await wrapper.find('[data-test="verify-button"]').trigger('click')
    await vi.waitFor(() =>
      expect(wrapper.find('[data-test="verify-pending"]').text()).toBe('尚未纳入检查点'),
    )
  })

  it('shows the before/after table of an event with changes', async () => {
    const events = eventsOf()
    events[0].changes = { contact_phone: { before: '', after: '0572-1234567' } }
    backend((call) =>
      call.url.startsWith('/api/v1/audit/events')
        ? json(200, { items: events, next_cursor: null })
        : null,
    )
    const wrapper = await setup()
    await wrapper.find('.el-table__expand-icon').trigger('click')
    await flushPromises()
    const table = wrapper.find('[data-test="event-changes"]')
    expect(table.text()).toContain('contact_phone')
    expect(table.text()).toContain('0572-1234567')
    expect(table.text()).toContain('""')
  })

  it('sends every filter of the search form to the audit endpoint', async () => {
    const { calls } = backend()
    const wrapper = await setup()
    const inputs = wrapper.findAll('[data-test="audit-search"] input.el-input__inner')
    // actor, action, object type, object id, request id (in form order after range and unit)
    const texts = inputs.filter((i) => i.attributes('placeholder') === '请输入')
    await texts[0].setValue('auditadmin')
    await texts[1].setValue('unit.')
    await texts[2].setValue('unit')
    await texts[3].setValue('3')
    await texts[4].setValue('req-1')
    await wrapper.find('[data-test="audit-search"]').trigger('submit')
    await flushPromises()
    const last = calls.filter((c) => c.url.startsWith('/api/v1/audit/events')).at(-1)!
    const q = new URL(last.url, 'http://x').searchParams
    expect(Object.fromEntries(q)).toMatchObject({
      actor: 'auditadmin',
      action: 'unit.',
      object_type: 'unit',
      object_id: '3',
      request_id: 'req-1',
      limit: '50',
    })
  })

  it('lists record views and evidence reads on the 调阅记录 tab', async () => {
    const { calls } = backend()
    const wrapper = await setup()
    const tabs = wrapper.findAll('.el-tabs__item')
    await tabs[1].trigger('click')
    await flushPromises()
    const actions = calls
      .filter((c) => c.url.startsWith('/api/v1/audit/events'))
      .map((c) => new URL(c.url, 'http://x').searchParams.get('action'))
    expect(actions).toContain('record.view')
    expect(actions).toContain('evidence.')
    expect(wrapper.find('[data-test="reads-table"]').exists()).toBe(true)
  })
})
