import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import ElementPlus, {
  ElDatePicker,
  ElFormItem,
  ElInput,
  ElInputNumber,
  ElSelect,
} from 'element-plus'
import { i18n } from '@/i18n'
import type { Matter } from '@/api/types'
import RegionCascader from '@/components/RegionCascader.vue'
import { apiError, json, mockFetch } from '@/test/fetchMock'
import { everyField, sampleDef } from '@/test/workflows'
import { emptyValues, formItems } from '@/utils/matterForm'
import ActionDialog from './ActionDialog.vue'
import FileListUpload from './FileListUpload.vue'
import GeoInput from './GeoInput.vue'
import MatterFormItems from './MatterFormItems.vue'
import SubjectInput from './SubjectInput.vue'
import UnitPicker from './UnitPicker.vue'

const matter = (): Matter => ({
  id: 42,
  kind: 'sample',
  kind_label: '样例',
  number: '湖环样〔2026〕1号',
  title: '样例事项',
  state: 'open',
  state_label: '办理中',
  state_category: 'processing',
  owner_unit_id: 7,
  owner_unit_name: '湖州市生态环境局',
  region_code: '330502',
  domain: 'water',
  subject_id: null,
  amount_fen: null,
  created_at: '2026-02-13T01:00:00.000Z',
  updated_at: '2026-02-13T01:00:00.000Z',
  next_deadline_at: null,
  overdue: false,
  version: 3,
  created_by: 6,
  fields: {},
  participants: [],
  deadlines: [],
  links: [],
  files: [],
  relations: ['owner'],
  allowed_actions: ['close'],
})

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => document.body.replaceChildren())

describe('MatterFormItems', () => {
  it('renders each field type with its input', () => {
    mockFetch(() => json(404, {}))
    const def = sampleDef()
    const items = formItems(def, def.create)
    const wrapper = mount(MatterFormItems, {
      props: { items, values: emptyValues(items), fieldErrors: {} },
      global: { plugins: [createPinia(), i18n, ElementPlus] },
    })
    const inside = (name: string) => wrapper.find(`[data-test="field-${name}"]`)
    const has = (name: string, component: object) =>
      inside(name).findAllComponents(component as never).length > 0
    expect(inside('title').find('input').exists()).toBe(true)
    expect(inside('note').find('textarea').exists()).toBe(true)
    expect(has('count', ElInputNumber)).toBe(true)
    expect(has('fine', ElInputNumber)).toBe(true)
    expect(inside('fine').text()).toContain('元')
    expect(has('on', ElDatePicker)).toBe(true)
    expect(has('at', ElDatePicker)).toBe(true)
    expect(has('source', ElSelect)).toBe(true)
    expect(has('region', RegionCascader)).toBe(true)
    expect(has('subject', SubjectInput)).toBe(true)
    expect(has('police_unit', UnitPicker)).toBe(true)
    expect(inside('recipients').findComponent(UnitPicker).props('multiple')).toBe(true)
    expect(has('attachments', FileListUpload)).toBe(true)
    expect(has('location', GeoInput)).toBe(true)
    expect(has('title', ElInput)).toBe(true)
    expect(items.length).toBe(everyField.length)
    // required marks follow the create form
    expect(inside('title').classes()).toContain('is-required')
    expect(inside('count').classes()).not.toContain('is-required')
  })
})

type Wrapper = Awaited<ReturnType<typeof openDialog>>
const noteItem = (w: Wrapper) =>
  w.findAllComponents(ElFormItem).find((i) => i.props('prop') === 'note')!
const noteMessage = (w: Wrapper) =>
  (noteItem(w).vm as unknown as { validateMessage: string }).validateMessage

async function openDialog() {
  const def = sampleDef()
  const wrapper = mount(ActionDialog, {
    props: { modelValue: false, def, action: def.actions[0]!, matter: matter() },
    global: { plugins: [createPinia(), i18n, ElementPlus] },
    attachTo: document.body,
  })
  await wrapper.setProps({ modelValue: true })
  await flushPromises()
  return wrapper
}

async function fillNoteAndSubmit() {
  const textarea = document.querySelector<HTMLTextAreaElement>('[data-test="field-note"] textarea')!
  textarea.value = '已现场核查，企业已整改。'
  textarea.dispatchEvent(new Event('input'))
  await flushPromises()
  document.querySelector<HTMLButtonElement>('[data-test="action-submit"]')!.click()
  await flushPromises()
  await flushPromises()
}

describe('ActionDialog', () => {
  it('sends the action with If-Match and the fields converted (money in fen)', async () => {
    const { calls } = mockFetch(() => json(200, { ...matter(), state: 'done', version: 4 }))
    const wrapper = await openDialog()
    const fine = wrapper.findComponent(ElInputNumber)
    fine.vm.$emit('update:modelValue', 1500.5)
    await fillNoteAndSubmit()
    const call = calls.find((c) => c.url.includes('/actions/'))!
    expect(call.url).toBe('/api/v1/matters/42/actions/close')
    expect(call.headers['If-Match']).toBe('"3"')
    expect(call.body).toEqual({ fields: { note: '已现场核查，企业已整改。', fine: 150050 } })
    expect(wrapper.emitted('done')?.[0]?.[0]).toMatchObject({ state: 'done' })
  })

  it('does not send while a required field is empty and says what is missing', async () => {
    const { calls } = mockFetch(() => json(200, matter()))
    const wrapper = await openDialog()
    document.querySelector<HTMLButtonElement>('[data-test="action-submit"]')!.click()
    await flushPromises()
    expect(calls.some((c) => c.url.includes('/actions/'))).toBe(false)
    expect(noteMessage(wrapper)).toBe('请填写说明')
  })

  it('on 409 says someone else changed the matter and asks for a reload', async () => {
    mockFetch(() => apiError(409, 'ABORTED', '事项已被他人修改，请刷新后重试'))
    const wrapper = await openDialog()
    await fillNoteAndSubmit()
    expect(wrapper.emitted('conflict')).toHaveLength(1)
    expect(wrapper.emitted('update:modelValue')?.at(-1)).toEqual([false])
    expect(document.body.textContent).toContain('事项已被他人修改，请刷新后重试')
  })

  it('shows a server field error under that field', async () => {
    mockFetch(() => apiError(400, 'INVALID_ARGUMENT', '说明不能少于 10 个字', 'note'))
    const wrapper = await openDialog()
    await fillNoteAndSubmit()
    expect(wrapper.emitted('conflict')).toBeUndefined()
    expect(noteItem(wrapper).props('error')).toBe('说明不能少于 10 个字')
  })
})
