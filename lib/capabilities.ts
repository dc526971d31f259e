import { createHash } from 'node:crypto'
import type { RouteRecord } from './route-catalog'
import { compareMethods } from './method-table'
import { isRootCatchAll } from './catch-all'
import type { Clock } from './options'

// One method that answers at one path, with what it asks of the caller.
export interface CapabilityMethod {
  method: string
  // false: declared with `implemented: false`, answers 501 FST_ENDPOINT_NOT_IMPLEMENTED.
  implemented: boolean
  tier?: string
  feature?: string
  // The `constraints.version` values this method answers; absent on an unversioned route.
  versions?: string[]
  // The route's schema says `hide: true`: it is left out of the OpenAPI document.
  hidden?: true
  // `config.deprecation`: when it was deprecated, and its sunset (ISO 8601).
  deprecation?: string
  sunset?: string
  // Retired: `gone: true`, or its sunset has passed. It answers 410 FST_ENDPOINT_GONE.
  gone?: true
}

export interface CapabilityRoute {
  path: string
  methods: CapabilityMethod[]
}

export interface CapabilityMatrix {
  // sha256 of the canonical JSON of `routes`: same routes and gates, same digest.
  digest: string
  routes: CapabilityRoute[]
}

export interface Seen {
  path: string
  method: string
  implemented: boolean
  tier: string | undefined
  feature: string | undefined
  version: string | undefined
  hidden: boolean
  deprecation: string | undefined
  sunset: string | undefined
  gone: boolean
}

// JSON with every object's keys sorted, so equal values always give equal text.
export function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']'
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort()
    return '{' + keys.map((key) => JSON.stringify(key) + ':' + canonicalJson(record[key])).join(',') + '}'
  }
  return JSON.stringify(value)
}

export function digestOf (routes: readonly CapabilityRoute[]): string {
  return createHash('sha256').update(canonicalJson(routes)).digest('hex')
}

// For lists without duplicates (paths, versions, distinct entries): never two equal strings.
function byText (a: string, b: string): number {
  return a < b ? -1 : 1
}

// What one method at one path asks of the caller, versions aside: the entries of a method
// that differ only by version merge into one entry listing them.
function gateKey (seen: Seen): string {
  return canonicalJson([seen.implemented, seen.tier ?? null, seen.feature ?? null, seen.version !== undefined, seen.hidden, seen.deprecation ?? null, seen.sunset ?? null, seen.gone])
}

function methodEntry (first: Seen, versions: ReadonlySet<string>): CapabilityMethod {
  const entry: CapabilityMethod = { method: first.method, implemented: first.implemented }
  if (first.tier !== undefined) entry.tier = first.tier
  if (first.feature !== undefined) entry.feature = first.feature
  if (first.version !== undefined) entry.versions = [...versions].sort(byText)
  if (first.hidden) entry.hidden = true
  if (first.deprecation !== undefined) entry.deprecation = first.deprecation
  if (first.sunset !== undefined) entry.sunset = first.sunset
  if (first.gone) entry.gone = true
  return entry
}

function compareEntries (a: CapabilityMethod, b: CapabilityMethod): number {
  return a.method === b.method ? byText(canonicalJson(a), canonicalJson(b)) : compareMethods(a.method, b.method)
}

export function buildMatrix (seen: readonly Seen[], autoOptions: boolean): CapabilityMatrix {
  const byPath = new Map<string, Map<string, { first: Seen, versions: Set<string> }>>()
  for (const item of seen) {
    let groups = byPath.get(item.path)
    if (groups === undefined) byPath.set(item.path, (groups = new Map()))
    const key = item.method + ' ' + gateKey(item)
    let group = groups.get(key)
    if (group === undefined) groups.set(key, (group = { first: item, versions: new Set() }))
    if (item.version !== undefined) group.versions.add(item.version)
  }

  const routes: CapabilityRoute[] = []
  for (const path of [...byPath.keys()].sort(byText)) {
    const groups = [...(byPath.get(path) as Map<string, { first: Seen, versions: Set<string> }>).values()]
    const methods = groups.map(({ first, versions }) => methodEntry(first, versions))
    // The plugin answers OPTIONS (204 + Allow) wherever the app has no OPTIONS route, in
    // the versions the path answers: on a path whose routes are all versioned, a request
    // without Accept-Version finds nothing there (404), and so does its OPTIONS.
    if (autoOptions && !isRootCatchAll(path) && !methods.some((m) => m.method === 'OPTIONS')) {
      const options: CapabilityMethod = { method: 'OPTIONS', implemented: true }
      if (methods.every((m) => m.versions !== undefined)) {
        options.versions = [...new Set(methods.flatMap((m) => m.versions as string[]))].sort(byText)
      }
      methods.push(options)
    }
    routes.push({ path, methods: methods.sort(compareEntries) })
  }
  return { digest: digestOf(routes), routes }
}

// Builds the matrix from the route catalog on first use once the app is ready, when the
// catalog can no longer change; the same matrix every call after that, until a route's
// sunset passes and the route is gone.
export class CapabilityCollector {
  private matrix: CapabilityMatrix | undefined
  private validUntil = Infinity
  private records: readonly RouteRecord[] | undefined

  constructor (private readonly autoOptions: boolean, private readonly now: Clock) {}

  seal (records: readonly RouteRecord[]): void {
    this.records = records
  }

  current (): CapabilityMatrix {
    if (this.records === undefined) {
      throw new Error('fastify-not-implemented: capabilities() is available once the app is ready; call it after `await fastify.ready()`')
    }
    const at = this.now()
    if (this.matrix === undefined || at >= this.validUntil) {
      const described = this.records.filter((record) => record.described)
      this.matrix = buildMatrix(described.flatMap((record) => seenOf(record, at)), this.autoOptions)
      this.validUntil = Infinity
      for (const { lifecycle } of described) {
        const sunset = lifecycle?.sunset
        if (sunset !== undefined && sunset > at && sunset < this.validUntil) this.validUntil = sunset
      }
    }
    return this.matrix
  }

  // Callers get their own copy to sort or change.
  snapshot (): CapabilityMatrix {
    return structuredClone(this.current())
  }
}

function isoOf (time: number | undefined): string | undefined {
  return time === undefined ? undefined : new Date(time).toISOString()
}

function seenOf ({ url, methods, built, gate, version, hidden, lifecycle }: RouteRecord, at: number): Seen[] {
  const gone = lifecycle !== undefined && (lifecycle.gone || (lifecycle.sunset !== undefined && lifecycle.sunset <= at))
  const deprecation = isoOf(lifecycle?.deprecation)
  const sunset = isoOf(lifecycle?.sunset)
  return methods.map((method) => ({ path: url, method, implemented: built, tier: gate?.tier, feature: gate?.feature, version, hidden, deprecation, sunset, gone }))
}
