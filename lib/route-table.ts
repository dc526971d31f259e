import type { RouteOptions } from 'fastify'

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

// What the registered routes implement, learnt through `onRoute` in every encapsulated
// context, so that "implemented" means what this app really routes, not a fixed list. A
// route declared but not built implements nothing: a method whose only routes are unbuilt
// is not implemented (501), and no Allow lists it.
export class RouteTable {
  readonly implemented = new Set<string>()
  // Methods with unbuilt routes somewhere, which the router must be asked about twice.
  readonly unbuilt = new Set<string>()
  // Versions declared per method, to tell "this version is missing here" from "no route here".
  readonly versions = new Map<string, Set<string>>()

  add (route: RouteOptions, built: boolean): void {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const version = (route.constraints as Record<string, unknown> | undefined)?.version
    for (const raw of methods) {
      const method = raw.toUpperCase()
      if (!built) {
        this.unbuilt.add(method)
        continue
      }
      this.implemented.add(method)
      if (typeof version === 'string') {
        let set = this.versions.get(method)
        if (set === undefined) this.versions.set(method, (set = new Set()))
        set.add(version)
      }
    }
  }

  sortedMethods (extra: readonly string[]): string[] {
    return [...new Set([...this.implemented, ...extra])].sort(compareMethods)
  }
}
