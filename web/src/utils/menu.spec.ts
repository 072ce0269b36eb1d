import { describe, expect, it } from 'vitest'
import { buildMenu, menuDefinition, menuLeaves, withMatterKinds } from './menu'

const ids = (perms: string[]) => menuLeaves(buildMenu(perms)).map((m) => m.id)

describe('buildMenu', () => {
  it('shows only Home and My account without permissions', () => {
    expect(ids([])).toEqual(['home', 'account'])
    expect(buildMenu([]).some((m) => m.id === 'system')).toBe(false)
  })

  it('shows Users but not Audit for a unit administrator', () => {
    const menu = ids(['system:user:list', 'system:user:add', 'system:role:list'])
    expect(menu).toEqual(['home', 'users', 'roles', 'account'])
    expect(menu).not.toContain('audit')
    expect(menu).not.toContain('units')
  })

  it('shows Audit for the audit administrator and no system group', () => {
    const menu = buildMenu(['audit:event:list'])
    expect(menu.map((m) => m.id)).toEqual(['home', 'audit', 'account'])
  })

  it('keeps the group with only the permitted children', () => {
    const system = buildMenu(['system:token:list']).find((m) => m.id === 'system')
    expect(system?.children?.map((c) => c.id)).toEqual(['tokens'])
  })

  it('shows every entry when all list permissions are granted', () => {
    const all = [
      'system:unit:list',
      'system:user:list',
      'system:role:list',
      'system:token:list',
      'audit:event:list',
    ]
    expect(ids(all)).toEqual(['home', 'units', 'users', 'roles', 'tokens', 'audit', 'account'])
  })

  it('ignores action permissions that open no page', () => {
    expect(ids(['system:unit:add', 'system:user:resetpwd'])).toEqual(['home', 'account'])
  })

  it('does not modify the definition', () => {
    const before = JSON.stringify(menuDefinition)
    buildMenu(['system:user:list'])
    expect(JSON.stringify(menuDefinition)).toBe(before)
  })
})

describe('matters in the menu', () => {
  const business = ['evidence:file:upload', 'evidence:file:read', 'matter:item:read']

  it('shows the matters and subjects entries to the business roles only', () => {
    expect(ids(business)).toEqual(['home', 'matters', 'subjects', 'account'])
    for (const admin of [
      ['system:unit:list', 'system:user:list', 'system:scope:all'],
      ['system:role:list', 'system:token:list', 'system:user:grant'],
      ['audit:event:list'],
      ['system:unit:list', 'system:user:list', 'system:user:add'],
    ]) {
      expect(ids(admin)).not.toContain('matters')
      expect(ids(admin)).not.toContain('subjects')
    }
  })

  it('expands the entry into every matter plus one link per kind', () => {
    const menu = withMatterKinds(buildMenu(business), [
      { kind: 'clue', label: '线索' },
      { kind: 'criminal_transfer', label: '行刑衔接' },
    ])
    const group = menu.find((m) => m.id === 'matters')
    expect(group?.children?.map((c) => [c.id, c.path, c.title])).toEqual([
      ['matters-all', '/matters', undefined],
      ['matters-clue', '/matters?kind=clue', '线索'],
      ['matters-criminal_transfer', '/matters?kind=criminal_transfer', '行刑衔接'],
    ])
  })

  it('leaves the menu alone without kinds or without the entry', () => {
    const plain = buildMenu(business)
    expect(withMatterKinds(plain, [])).toBe(plain)
    const admin = buildMenu(['audit:event:list'])
    expect(withMatterKinds(admin, [{ kind: 'clue', label: '线索' }])).toEqual(admin)
  })
})
