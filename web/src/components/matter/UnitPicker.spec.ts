import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import ElementPlus from 'element-plus'
import { i18n } from '@/i18n'
import type { DirectoryUnit } from '@/api/types'
import { apiError, json, mockFetch, type Call } from '@/test/fetchMock'
import UnitPicker from './UnitPicker.vue'

const unit = (id: number, name: string, region_name: string): DirectoryUnit => ({
  id,
  name,
  type: 'public_security',
  region_code: '330502',
  region_name,
  abbreviation: '',
  parent_id: null,
  parent_name: null,
})
const police = unit(6, '湖州市公安局吴兴区分局', '浙江省湖州市吴兴区')
const court = unit(9, '湖州市中级人民法院', '浙江省湖州市')
const procuratorate = unit(11, '湖州市人民检察院', '浙江省湖州市')

const paramsOf = (call: Call) => Object.fromEntries(new URL(call.url, 'http://x').searchParams)
const directoryCalls = (calls: Call[]) =>
  calls.filter((c) => c.url.startsWith('/api/v1/directory/units'))

/** Answers the directory by name: every unit whose name contains `q`. */
function directory(units: DirectoryUnit[]) {
  return mockFetch((call) => {
    if (!call.url.startsWith('/api/v1/directory/units')) {
      return apiError(404, 'NOT_FOUND', 'unexpected ' + call.url)
    }
    const q = paramsOf(call).q ?? ''
    return json(200, { items: units.filter((u) => u.name.includes(q)), next_cursor: null })
  })
}

function mountPicker(multiple = false) {
  const wrapper = mount(UnitPicker, {
    props: {
      modelValue: multiple ? [] : null,
      multiple,
      'onUpdate:modelValue': (v: number | number[] | null) => wrapper.setProps({ modelValue: v }),
    },
    global: { plugins: [createPinia(), i18n, ElementPlus] },
    attachTo: document.body,
  })
  return wrapper
}

const visibleOptions = () =>
  [...document.querySelectorAll<HTMLElement>('[data-test^="unit-option-"]')].filter(
    (o) => !o.dataset.test?.endsWith('region'),
  )

async function open(wrapper: ReturnType<typeof mountPicker>) {
  await wrapper.find('.el-select__wrapper').trigger('click')
  await flushPromises()
}

async function type(wrapper: ReturnType<typeof mountPicker>, text: string) {
  await wrapper.find('input').setValue(text)
}

beforeEach(() => {
  setActivePinia(createPinia())
  i18n.global.locale.value = 'zh-CN'
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.replaceChildren()
})

describe('UnitPicker', () => {
  it('lists the directory on opening and shows each unit with its region', async () => {
    const { calls } = directory([police, court])
    const wrapper = mountPicker()
    await open(wrapper)
    expect(directoryCalls(calls).map(paramsOf)).toEqual([{ limit: '20' }])
    await vi.waitFor(() => expect(visibleOptions()).toHaveLength(2))
    const first = document.querySelector('[data-test="unit-option-6"]')!
    expect(first.querySelector('.name')!.textContent).toBe('湖州市公安局吴兴区分局')
    expect(first.querySelector('[data-test="unit-option-region"]')!.textContent).toBe(
      '浙江省湖州市吴兴区',
    )
  })

  it('searches the directory by the typed text once typing pauses', async () => {
    const { calls } = directory([police, court, procuratorate])
    const wrapper = mountPicker()
    await open(wrapper)
    await type(wrapper, '法院')
    expect(directoryCalls(calls).some((c) => paramsOf(c).q === '法院')).toBe(false)
    await vi.waitFor(() =>
      expect(directoryCalls(calls).map((c) => paramsOf(c).q)).toContain('法院'),
    )
    await vi.waitFor(() =>
      expect(visibleOptions().map((o) => o.dataset.test)).toEqual(['unit-option-9']),
    )
  })

  it('emits the chosen unit id', async () => {
    directory([police, court])
    const wrapper = mountPicker()
    await open(wrapper)
    await vi.waitFor(() => expect(visibleOptions()).toHaveLength(2))
    document.querySelector<HTMLElement>('[data-test="unit-option-9"]')!.click()
    await flushPromises()
    expect(wrapper.emitted('update:modelValue')?.at(-1)).toEqual([9])
  })

  it('keeps the names of chosen units when a later search does not find them', async () => {
    directory([police, court, procuratorate])
    const wrapper = mountPicker(true)
    await open(wrapper)
    await vi.waitFor(() => expect(visibleOptions()).toHaveLength(3))
    document.querySelector<HTMLElement>('[data-test="unit-option-6"]')!.click()
    await flushPromises()
    expect(wrapper.emitted('update:modelValue')?.at(-1)).toEqual([[6]])
    await type(wrapper, '检察院')
    await vi.waitFor(() =>
      expect(visibleOptions().map((o) => o.dataset.test)).toEqual([
        'unit-option-11',
        'unit-option-6',
      ]),
    )
    document.querySelector<HTMLElement>('[data-test="unit-option-11"]')!.click()
    await flushPromises()
    expect(wrapper.emitted('update:modelValue')?.at(-1)).toEqual([[6, 11]])
    expect(wrapper.findAll('.el-tag').map((t) => t.text())).toEqual([
      '湖州市公安局吴兴区分局',
      '湖州市人民检察院',
    ])
  })

  it('says so when the directory cannot be read', async () => {
    mockFetch(() => apiError(500, 'INTERNAL', '服务器内部错误'))
    const wrapper = mountPicker()
    await open(wrapper)
    await type(wrapper, '法院')
    await vi.waitFor(() =>
      expect(document.querySelector('.el-select-dropdown__empty')?.textContent).toBe(
        '服务器内部错误',
      ),
    )
  })
})
