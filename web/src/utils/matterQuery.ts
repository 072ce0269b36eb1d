/**
 * The matter list's filters, kept in the page address (`/matters?kind=clue&state=sent,accepted`)
 * and turned into the query of GET /api/v1/matters.
 */
import type { LocationQuery, LocationQueryRaw } from 'vue-router'
import type { Query } from '@/api/http'

export interface MatterFilters {
  kind: string
  states: string[]
  /** A region code as the cascader gives it (any level). */
  region: string
  domain: string
  /** Created between these dates (YYYY-MM-DD, both inclusive). */
  createdFrom: string
  createdTo: string
  overdue: boolean
}

export function defaultFilters(): MatterFilters {
  return {
    kind: '',
    states: [],
    region: '',
    domain: '',
    createdFrom: '',
    createdTo: '',
    overdue: false,
  }
}

/**
 * The prefix that selects a region and everything under it: trailing `00` pairs of a 6-digit
 * code are dropped (330500 湖州市 → 3305), a 9-digit township code stays whole.
 */
export function regionPrefix(code: string): string {
  let prefix = code.trim()
  while (prefix.length > 2 && prefix.length <= 6 && prefix.endsWith('00')) {
    prefix = prefix.slice(0, -2)
  }
  return prefix
}

const isDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s)

/** The API query for the filters (empty ones left out). */
export function filtersToQuery(f: MatterFilters): Query {
  const q: Query = {}
  if (f.kind) q.kind = f.kind
  if (f.states.length) q.state = f.states.join(',')
  if (f.region) q.region = regionPrefix(f.region)
  if (f.domain) q.domain = f.domain
  if (isDate(f.createdFrom)) q.created_from = f.createdFrom
  if (isDate(f.createdTo)) q.created_to = f.createdTo
  if (f.overdue) q.overdue = true
  return q
}

/** The page address's query for the filters (what a shared link reopens). */
export function filtersToRoute(f: MatterFilters): LocationQueryRaw {
  const q: LocationQueryRaw = {}
  if (f.kind) q.kind = f.kind
  if (f.states.length) q.state = f.states.join(',')
  if (f.region) q.region = f.region
  if (f.domain) q.domain = f.domain
  if (isDate(f.createdFrom)) q.from = f.createdFrom
  if (isDate(f.createdTo)) q.to = f.createdTo
  if (f.overdue) q.overdue = '1'
  return q
}

function one(v: LocationQuery[string] | undefined): string {
  const s = Array.isArray(v) ? v[0] : v
  return typeof s === 'string' ? s : ''
}

/** The filters a page address asks for; anything malformed is ignored. */
export function filtersFromRoute(q: LocationQuery): MatterFilters {
  const f = defaultFilters()
  const kind = one(q.kind)
  if (/^[a-z][a-z0-9_]*$/.test(kind)) f.kind = kind
  f.states = one(q.state)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^[a-z][a-z0-9_]*$/.test(s))
  const region = one(q.region)
  if (/^\d{2,12}$/.test(region)) f.region = region
  f.domain = one(q.domain)
  if (isDate(one(q.from))) f.createdFrom = one(q.from)
  if (isDate(one(q.to))) f.createdTo = one(q.to)
  f.overdue = one(q.overdue) === '1' || one(q.overdue) === 'true'
  return f
}
