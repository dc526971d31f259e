import type { RouteOptions } from 'fastify'

// Orders the Allow header and the method lists the same way on every run, whatever the
// registration order: the common methods first, in the order people read them, then the
// rest alphabetically.
const canonicalOrder = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'QUERY', 'OPTIONS', 'TRACE']

export function compareMethods (a: string, b: string): number {
  const ia = canonicalOrder.indexOf(a)
  const ib = canonicalOrder.indexOf(b)
  if (ia !== -1 || ib !== -1) return (ia === -1 ? Infinity : ia) - (ib === -1 ? Infinity : ib)
  return a < b ? -1 : 1
}

function isRootCatchAll (url: string): boolean {
  return url === '*' || url === '/*'
}

// What the registered routes implement, learnt through `onRoute` in every encapsulated
// context, so that "implemented" means what this app really routes, not a fixed list.
export class RouteTable {
  readonly implemented = new Set<string>()
  // Methods with a route on `*` (as @fastify/cors registers for OPTIONS): such a route answers
  // everywhere, so its match alone must not make a path look like a resource.
  readonly catchAll = new Set<string>()
  // Versions declared per method, to tell "this version is missing here" from "no route here".
  readonly versions = new Map<string, Set<string>>()
  usesHostConstraint = false

  add (route: RouteOptions): void {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const constraints = route.constraints as Record<string, unknown> | undefined
    const version = constraints?.version
    if (constraints?.host !== undefined) this.usesHostConstraint = true
    for (const raw of methods) {
      const method = raw.toUpperCase()
      this.implemented.add(method)
      if (isRootCatchAll(route.url)) this.catchAll.add(method)
      if (typeof version === 'string') {
        let set = this.versions.get(method)
        if (set === undefined) this.versions.set(method, (set = new Set()))
        set.add(version)
      }
    }
  }

  get usesVersionConstraint (): boolean {
    return this.versions.size > 0
  }

  sortedMethods (extra: readonly string[] = []): string[] {
    return [...new Set([...this.implemented, ...extra])].sort(compareMethods)
  }
}
