import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick } from 'vue'
import { mount, flushPromises } from '@vue/test-utils'
import { i18n } from '@/i18n'
import { clearDictCache, dictLabel, loadDict, useDict } from './useDict'
import { apiError, json, mockFetch } from '@/test/fetchMock'

const unitTypes = {
  items: [
    { value: 'court', label_zh: '法院', label_en: 'Court' },
    { value: 'procuratorate', label_zh: '检察院', label_en: 'Procuratorate' },
  ],
}

describe('useDict', () => {
  beforeEach(() => {
    clearDictCache()
    i18n.global.locale.value = 'zh-CN'
  })
  afterEach(() => vi.unstubAllGlobals())

  it('fetches a dictionary once for concurrent and later callers', async () => {
    const { calls } = mockFetch(() => json(200, unitTypes))
    const [a, b] = await Promise.all([loadDict('unit_types'), loadDict('unit_types')])
    const c = await loadDict('unit_types')
    expect(calls).toHaveLength(1)
    expect(calls[0].url).toBe('/api/v1/dicts/unit_types')
    expect(a).toEqual(unitTypes.items)
    expect(b).toBe(a)
    expect(c).toBe(a)
  })

  it('does not cache a failed load', async () => {
    let fail = true
    const { calls } = mockFetch(() =>
      fail ? apiError(500, 'INTERNAL', 'x') : json(200, unitTypes),
    )
    await expect(loadDict('unit_types')).rejects.toBeTruthy()
    fail = false
    await expect(loadDict('unit_types')).resolves.toHaveLength(2)
    expect(calls).toHaveLength(2)
  })

  it('caches each dictionary separately', async () => {
    const { calls } = mockFetch(() => json(200, unitTypes))
    await loadDict('unit_types')
    await loadDict('case_types')
    expect(calls.map((c) => c.url)).toEqual([
      '/api/v1/dicts/unit_types',
      '/api/v1/dicts/case_types',
    ])
  })

  it('labels values in the current locale and falls back to the raw value', () => {
    expect(dictLabel(unitTypes.items, 'court', 'zh-CN')).toBe('法院')
    expect(dictLabel(unitTypes.items, 'court', 'en')).toBe('Court')
    expect(dictLabel(unitTypes.items, 'unknown', 'en')).toBe('unknown')
  })

  it('gives components reactive options that follow the locale', async () => {
    mockFetch(() => json(200, unitTypes))
    let dict: ReturnType<typeof useDict> | undefined
    const Probe = defineComponent({
      setup() {
        dict = useDict('unit_types')
        return () => h('span', dict!.options.value.map((o) => o.label).join(','))
      },
    })
    const wrapper = mount(Probe, { global: { plugins: [i18n] } })
    await flushPromises()
    expect(wrapper.text()).toBe('法院,检察院')
    i18n.global.locale.value = 'en'
    await nextTick()
    expect(wrapper.text()).toBe('Court,Procuratorate')
    expect(dict!.label('procuratorate')).toBe('Procuratorate')
  })
})
