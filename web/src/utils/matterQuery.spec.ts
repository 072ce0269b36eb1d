import { describe, expect, it } from 'vitest'
import { buildUrl } from '@/api/http'
import {
  defaultFilters,
  filtersFromRoute,
  filtersToQuery,
  filtersToRoute,
  regionPrefix,
} from './matterQuery'

describe('regionPrefix', () => {
  it('drops trailing 00 pairs of a 6-digit code so a city or province selects what is under it', () => {
    expect(regionPrefix('330000')).toBe('33')
    expect(regionPrefix('330500')).toBe('3305')
    expect(regionPrefix('330502')).toBe('330502')
    expect(regionPrefix('330502001')).toBe('330502001')
  })
})

describe('filtersToQuery', () => {
  it('gives an empty query for the default filters', () => {
    expect(filtersToQuery(defaultFilters())).toEqual({})
  })

  it('sends every filter as GET /api/v1/matters takes it', () => {
    const q = filtersToQuery({
      kind: 'criminal_transfer',
      states: ['sent', 'accepted'],
      region: '330500',
      domain: 'water',
      createdFrom: '2026-01-01',
      createdTo: '2026-02-28',
      overdue: true,
    })
    expect(q).toEqual({
      kind: 'criminal_transfer',
      state: 'sent,accepted',
      region: '3305',
      domain: 'water',
      created_from: '2026-01-01',
      created_to: '2026-02-28',
      overdue: true,
    })
    expect(buildUrl('/api/v1/matters', { ...q, limit: 20 })).toBe(
      '/api/v1/matters?kind=criminal_transfer&state=sent%2Caccepted&region=3305&domain=water&created_from=2026-01-01&created_to=2026-02-28&overdue=true&limit=20',
    )
  })

  it('leaves out malformed dates and a false overdue', () => {
    const f = { ...defaultFilters(), createdFrom: '2026-1-1', overdue: false }
    expect(filtersToQuery(f)).toEqual({})
  })
})

describe('page address', () => {
  it('round-trips the filters through the route query', () => {
    const f = {
      kind: 'clue',
      states: ['registered'],
      region: '330502',
      domain: 'air',
      createdFrom: '2026-03-01',
      createdTo: '2026-03-31',
      overdue: true,
    }
    const route = filtersToRoute(f)
    expect(route).toEqual({
      kind: 'clue',
      state: 'registered',
      region: '330502',
      domain: 'air',
      from: '2026-03-01',
      to: '2026-03-31',
      overdue: '1',
    })
    expect(filtersFromRoute(route as Record<string, string>)).toEqual(f)
  })

  it('reads /matters?kind=clue and ignores what is malformed', () => {
    expect(filtersFromRoute({ kind: 'clue' })).toEqual({ ...defaultFilters(), kind: 'clue' })
    expect(
      filtersFromRoute({
        kind: 'Clue;drop',
        state: 'sent,,BAD,accepted',
        region: '33x',
        from: 'x',
      }),
    ).toEqual({ ...defaultFilters(), states: ['sent', 'accepted'] })
    expect(filtersFromRoute({ kind: ['transfer', 'clue'] }).kind).toBe('transfer')
  })
})
