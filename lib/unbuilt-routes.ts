import type { RouteOptions } from 'fastify'

// A route declared with `implemented: false` (or retired with `gone: true`) must still be
// routed (it answers 501 FST_ENDPOINT_NOT_IMPLEMENTED, or 410), yet count for nothing when
// the plugin asks the router what answers at a path (Allow, 405 or 501): Fastify's
// `findRoute` says that a route matched, never which. So such routes carry a constraint of
// the plugin's, which every request routed by Fastify derives (one constant per request,
// and only in apps that declare such routes) and which the plugin's own lookups may leave
// out to see built routes alone.
//
// A route with a sunset is built until then and gone after, while the app runs. It carries
// the constraint with its sunset as the value: routing still finds it (every request
// derives the value that matches every route that has one), and the plugin's own lookups
// ask with `live@<time>`, which the constraint's store answers with the routes whose sunset
// is later. The router matches as ever; only the store says which values pass.
//
// The name appears in generated router code, so it is an identifier.
export const unbuiltConstraintName = 'fastifyNotImplementedUnbuilt'
const derivedByEveryRequest = 'routed'
const sunsetPrefix = 'sunset@'
const livePrefix = 'live@'
const sunsetValue = /^sunset@-?\d+$/

// find-my-way's store of one route node: constraint value -> bitmask of the node's handlers.
interface Store {
  get: (value: string) => number
  set: (value: string, stored: number) => void
}

export const unbuiltConstraintStrategy = {
  name: unbuiltConstraintName,
  // Not `mustMatchWhenDerived`: a request still reaches every unconstrained (built) route.
  mustMatchWhenDerived: false,
  // Values the plugin's lookups ask with (`live@<time>`) are answered from the sunsets; the
  // router's own reads while it builds a node (`get` of a route's value, then `set`) see
  // no sunset there, which only means that one route is stored on its own.
  storage (): Store {
    // Every handler with the constraint, for routing: kept as values are set, so that
    // routing a request costs one read.
    let every = 0
    const sunsets: Array<[number, number]> = []
    let lastAsked = ''
    let lastMask = 0
    return {
      get (value) {
        if (value === derivedByEveryRequest) return every
        if (value !== lastAsked) {
          const time = Number(value.slice(livePrefix.length))
          let mask = 0
          for (const [sunset, handlers] of sunsets) if (sunset > time) mask |= handlers
          lastAsked = value
          lastMask = mask
        }
        return lastMask
      },
      set (value, handlers) {
        every |= handlers
        lastAsked = ''
        if (value.startsWith(sunsetPrefix)) sunsets.push([Number(value.slice(sunsetPrefix.length)), handlers])
      }
    }
  },
  deriveConstraint (): string {
    return derivedByEveryRequest
  },
  validate (value: unknown): void {
    if (value !== derivedByEveryRequest && !(typeof value === 'string' && sunsetValue.test(value))) {
      throw new TypeError(`fastify-not-implemented: the "${unbuiltConstraintName}" constraint belongs to the plugin; declare an unbuilt endpoint with config.implemented: false, a retired one with config.gone: true`)
    }
  }
}

// The constraint value a route should carry: an unbuilt or retired route, one with a sunset.
export function constraintFor (unbuilt: boolean, sunset: number | undefined): string | undefined {
  if (unbuilt) return derivedByEveryRequest
  return sunset === undefined ? undefined : sunsetPrefix + String(sunset)
}

// Gives a route the constraint; a new object, since the route's own may be shared.
export function markRoute (route: RouteOptions, value: string): void {
  route.constraints = { ...route.constraints, [unbuiltConstraintName]: value }
}

export function constraintOf (route: RouteOptions): unknown {
  return (route.constraints as Record<string, unknown> | undefined)?.[unbuiltConstraintName]
}

// The constraints of a lookup that sees unbuilt routes as routing does.
export function asRouted<T extends object> (constraints: T): T & Record<string, string> {
  return { ...constraints, [unbuiltConstraintName]: derivedByEveryRequest }
}

// The constraint value of a lookup that sees the routes with a sunset after `time`.
export function liveAt (time: number): string {
  return livePrefix + String(time)
}
