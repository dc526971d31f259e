import type { RouteOptions } from 'fastify'

// A route declared with `implemented: false` must still be routed (it answers 501
// FST_ENDPOINT_NOT_IMPLEMENTED), yet count for nothing when the plugin asks the router what
// answers at a path (Allow, 405 or 501): Fastify's `findRoute` says that a route matched,
// never which. So such routes carry a constraint of the plugin's, which every request
// routed by Fastify derives (one constant per request, and only in apps that declare
// unbuilt routes) and which the plugin's own lookups may leave out to see built routes alone.
//
// The name appears in generated router code, so it is an identifier.
export const unbuiltConstraintName = 'fastifyNotImplementedUnbuilt'
const derivedByEveryRequest = 'routed'

interface Store {
  get: (value: string) => unknown
  set: (value: string, stored: unknown) => void
}

export const unbuiltConstraintStrategy = {
  name: unbuiltConstraintName,
  // Not `mustMatchWhenDerived`: a request still reaches every unconstrained (built) route.
  mustMatchWhenDerived: false,
  storage (): Store {
    const stores = new Map<string, unknown>()
    return {
      get: (value) => stores.get(value),
      set: (value, stored) => { stores.set(value, stored) }
    }
  },
  deriveConstraint (): string {
    return derivedByEveryRequest
  },
  validate (value: unknown): void {
    if (value !== derivedByEveryRequest) {
      throw new TypeError(`fastify-not-implemented: the "${unbuiltConstraintName}" constraint belongs to the plugin; declare an unbuilt endpoint with config.implemented: false`)
    }
  }
}

// Gives an unbuilt route the constraint; a new object, since the route's own may be shared.
export function markUnbuilt (route: RouteOptions): void {
  route.constraints = { ...route.constraints, [unbuiltConstraintName]: derivedByEveryRequest }
}

export function isMarkedUnbuilt (route: RouteOptions): boolean {
  return (route.constraints as Record<string, unknown> | undefined)?.[unbuiltConstraintName] === derivedByEveryRequest
}

// The constraints of a lookup that sees unbuilt routes as routing does.
export function asRouted<T extends object> (constraints: T): T & Record<string, string> {
  return { ...constraints, [unbuiltConstraintName]: derivedByEveryRequest }
}
