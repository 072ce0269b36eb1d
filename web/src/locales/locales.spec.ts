import { describe, expect, it } from 'vitest'
import zhCN from './zh-CN'
import en from './en'

function keys(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
}

function values(obj: object): unknown[] {
  return Object.values(obj).flatMap((v) => (v && typeof v === 'object' ? values(v as object) : [v]))
}

describe('locales', () => {
  it('zh-CN and en have identical key sets', () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort())
  })

  it('have no empty messages', () => {
    for (const messages of [zhCN, en]) {
      for (const v of values(messages)) {
        expect(typeof v).toBe('string')
        expect((v as string).trim()).not.toBe('')
      }
    }
  })

  it('use the same named placeholders in both languages', () => {
    const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join(',')
    const flat = (obj: object, prefix = ''): Record<string, string> =>
      Object.fromEntries(
        Object.entries(obj).flatMap(([k, v]) =>
          v && typeof v === 'object'
            ? Object.entries(flat(v as object, `${prefix}${k}.`))
            : [[`${prefix}${k}`, v as string]],
        ),
      )
    const zh = flat(zhCN)
    const enFlat = flat(en)
    for (const key of Object.keys(zh)) {
      expect(placeholders(enFlat[key]), key).toBe(placeholders(zh[key]))
    }
  })
})
