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

// What the registered routes implement, so that "implemented" means what this app really
// routes, not a fixed list. A route declared but not built implements nothing: a method
// whose only routes are unbuilt is not implemented (501), and no Allow lists it.
export interface MethodTable {
  readonly implemented: ReadonlySet<string>
  // Methods with unbuilt routes somewhere, which the router must be asked about twice.
  readonly unbuilt: ReadonlySet<string>
  // Versions declared per method, to tell "this version is missing here" from "no route here".
  readonly versions: ReadonlyMap<string, ReadonlySet<string>>
}

export function methodTable (records: readonly RouteRecord[]): MethodTable {
  const implemented = new Set<string>()
  const unbuilt = new Set<string>()
  const versions = new Map<string, Set<string>>()
  for (const { methods, built, version } of records) {
    for (const method of methods) {
      if (!built) {
        unbuilt.add(method)
        continue
      }
      implemented.add(method)
      if (version !== undefined) {
        let set = versions.get(method)
        if (set === undefined) versions.set(method, (set = new Set()))
        set.add(version)
      }
    }
  }
  return { implemented, unbuilt, versions }
}

export function sortedMethods (methods: Iterable<string>): string[] {
  return [...new Set(methods)].sort(compareMethods)
}
