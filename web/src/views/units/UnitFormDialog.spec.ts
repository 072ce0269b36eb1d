import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import ElementPlus from 'element-plus'
import { i18n } from '@/i18n'
import { clearDictCache } from '@/composables/useDict'
import UnitFormDialog from './UnitFormDialog.vue'
import { createBody, patchBody, unitToForm } from './unitForm'
import { fieldErrorFor } from '@/utils/form'
import { ApiError } from '@/api/http'
import { apiError, json, mockFetch, type Call } from '@/test/fetchMock'
import type { Unit } from '@/api/types'

const unit: Unit = {
  id: 3,
  name: '湖州市生态环境局',
  type: 'ecology_environment',
  region_code: '330500',
  region_name: '湖州市',
  parent_id: 1,
  parent_name: '浙江省生态环境厅',
  contact_person: '李明',
  contact_phone: '0572-2222222',
  enabled: true,
  created_at: '2026-01-02T01:00:00Z',
  updated_at: '2026-01-02T01:00:00Z',
  version: 1,
}

function backend(onSave: (call: Call) => Response) {
  return mockFetch((call) => {
    if (call.url.startsWith('/api/v1/dicts/')) {
      return json(200, { items: [{ value: 'court', label_zh: '法院', label_en: 'Court' }] })
    }
    if (call.url === '/api/v1/regions/330500') {
      return json(200, {
        code: '330500',
        name: '湖州市',
        path: [
          { code: '330000', name: '浙江省' },
          { code: '330500', name: '湖州市' },
        ],
      })
    }
    if (call.url === '/api/v1/regions') {
      return json(200, { items: [{ code: '330000', name: '浙江省', leaf: false }] })
    }
    if (call.url === '/api/v1/regions?parent=330000') {
      return json(200, { items: [{ code: '330500', name: '湖州市', leaf: false }] })
    }
    if (call.url.startsWith('/api/v1/regions')) return json(200, { items: [] })
    if (call.url.startsWith('/api/v1/units?')) return json(200, { items: [], next_cursor: null })
    return onSave(call)
  })
}

describe('UnitFormDialog', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    clearDictCache()
    i18n.global.locale.value = 'zh-CN'
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('shows a server field error under the matching form item', async () => {
    const { calls } = backend(() =>
      apiError(400, 'INVALID_ARGUMENT', '地区代码与单位层级不符', 'region_code'),
    )
    const wrapper = mount(UnitFormDialog, {
      props: { modelValue: true, unit },
      global: { plugins: [createPinia(), i18n, ElementPlus] },
      attachTo: document.body,
    })
    await flushPromises()
    document.querySelector<HTMLButtonElement>('[data-test="unit-form-submit"]')!.click()

    await vi.waitFor(() => {
      const errors = [...document.querySelectorAll('.el-form-item.is-error')]
      expect(errors).toHaveLength(1)
      expect(errors[0].textContent).toContain('地区代码与单位层级不符')
      expect(errors[0].querySelector('[data-test="unit-form-region"]')).not.toBeNull()
    })
    const save = calls.find((c) => c.method === 'PATCH')
    expect(save?.url).toBe('/api/v1/units/3')
    expect(wrapper.emitted('saved')).toBeUndefined()
  })

  it('emits saved and closes when the server accepts the form', async () => {
    backend(() => json(200, { ...unit, contact_person: '王五' }))
    const wrapper = mount(UnitFormDialog, {
      props: { modelValue: true, unit },
      global: { plugins: [createPinia(), i18n, ElementPlus] },
      attachTo: document.body,
    })
    await flushPromises()
    document.querySelector<HTMLButtonElement>('[data-test="unit-form-submit"]')!.click()
    await vi.waitFor(() => expect(wrapper.emitted('saved')).toHaveLength(1))
    expect(wrapper.emitted('update:modelValue')?.at(-1)).toEqual([false])
  })
})

describe('unit form helpers', () => {
  it('maps only fields present in the form', () => {
    const err = new ApiError(400, 'INVALID_ARGUMENT', 'bad', 'region_code')
    expect(fieldErrorFor(err, ['name', 'region_code'])).toEqual({
      prop: 'region_code',
      message: 'bad',
    })
    expect(fieldErrorFor(err, ['name'])).toBeNull()
    expect(fieldErrorFor(new ApiError(409, 'ABORTED', 'stale'), ['name'])).toBeNull()
    expect(fieldErrorFor(new Error('x'), ['name'])).toBeNull()
  })

  it('maps renamed server fields through the field map', () => {
    const err = new ApiError(400, 'INVALID_ARGUMENT', 'bad', 'certificate.valid_to')
    expect(
      fieldErrorFor(err, ['cert_valid_to'], { 'certificate.valid_to': 'cert_valid_to' }),
    ).toEqual({ prop: 'cert_valid_to', message: 'bad' })
  })

  it('sends only changed fields when editing', () => {
    const form = unitToForm(unit)
    expect(patchBody(unit, form)).toEqual({})
    form.contact_person = ' 王五 '
    form.parent_id = null
    expect(patchBody(unit, form)).toEqual({ contact_person: '王五', parent_id: null })
  })

  it('leaves empty optional fields out of a new unit', () => {
    const form = { ...unitToForm(unit), parent_id: null, contact_person: '', contact_phone: ' ' }
    expect(createBody(form)).toEqual({
      name: '湖州市生态环境局',
      type: 'ecology_environment',
      region_code: '330500',
    })
  })
})
