import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
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

  it('have every message the source code asks for by a literal key', () => {
    const root = join(__dirname, '..')
    const files: string[] = []
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name)
        if (statSync(path).isDirectory()) walk(path)
        else if (/\.(vue|ts)$/.test(name) && !/\.spec\.ts$/.test(name)) files.push(path)
      }
    }
    walk(root)
    const known = new Set(keys(zhCN))
    const missing: string[] = []
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z][\w]*(?:\.[\w]+)+)'/g)) {
        if (!known.has(m[1])) missing.push(`${file.slice(root.length + 1)}: ${m[1]}`)
      }
    }
    expect(files.length).toBeGreaterThan(20)
    expect(missing).toEqual([])
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
