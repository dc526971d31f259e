import type { RouteRecord } from './route-catalog'

// Orders the Allow header and the method lists the same way on every run, whatever the
// registration order: the common methods first, in the order people read them, then the
// rest alphabetically.
const canonicalOrder = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'QUERY', 'OPTIONS', 'TRACE']

function rank (method: string): number {
  const index = canonicalOrder.indexOf(method)
  return index === -1 ? canonicalOrder.length : index
}

export function compareMethods (a: string, b: string): number {
  return rank(a) - rank(b) || Number(a > b) - Number(a < b)
}

// What the registered routes implement at one moment, so that "implemented" means what
// this app really routes, not a fixed list. A route declared but not built, or retired (gone,
// or past its sunset), implements nothing: a method whose only routes are such is not
// implemented (501), and no Allow lists it.
export interface MethodTable {
  readonly implemented: ReadonlySet<string>
  // Methods with routes that may not count (unbuilt, gone, or with a sunset) somewhere,
  // which the router must be asked about twice.
  readonly unbuilt: ReadonlySet<string>
  // Versions declared per method, to tell "this version is missing here" from "no route here".
  readonly versions: ReadonlyMap<string, ReadonlySet<string>>
  // The earliest sunset still to come (Infinity: none): the table holds until then.
  readonly nextSunset: number
  // Whether some route has a sunset: the plugin's lookups then say when they ask.
  readonly retiring: boolean
}

export function methodTable (records: readonly RouteRecord[], at: number): MethodTable {
  const implemented = new Set<string>()
  const unbuilt = new Set<string>()
  const versions = new Map<string, Set<string>>()
  let nextSunset = Infinity
  let retiring = false
  for (const { methods, built, version, lifecycle } of records) {
    const sunset = lifecycle?.sunset
    const gone = lifecycle !== undefined && lifecycle.gone
    // (readLifecycle refuses a life cycle on a route declared not built.)
    if (sunset !== undefined && !gone) {
      retiring = true
      if (sunset > at && sunset < nextSunset) nextSunset = sunset
    }
    const live = built && !gone && (sunset === undefined || sunset > at)
    for (const method of methods) {
      if (!live || sunset !== undefined) unbuilt.add(method)
      if (!built) continue
      if (live) implemented.add(method)
      // Versions as the router knows them, whatever has retired since.
      if (version !== undefined) {
        let set = versions.get(method)
        if (set === undefined) versions.set(method, (set = new Set()))
        set.add(version)
      }
    }
  }
  return { implemented, unbuilt, versions, nextSunset, retiring }
}

export function sortedMethods (methods: Iterable<string>): string[] {
  return [...new Set(methods)].sort(compareMethods)
}
