import type { FastifyInstance } from 'fastify'
import { asRouted } from './unbuilt-routes'
import { isWholePathCapture } from './catch-all'

export interface MethodsAtPath {
  // Every method that answers at the path, in the candidates' order.
  methods: string[]
  // Whether a route other than a root catch-all answers there: a path only a catch-all
  // answers is still "no route here" and keeps its 404.
  routed: boolean
}

// The request's values for the constraints Fastify's router knows.
export interface Constraints {
  host?: string
  version?: string
  [name: string]: unknown
}
type Found = ReturnType<FastifyInstance['findRoute']>

// The request target without its query string.
export function targetOf (url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

// Whether two matches bound the same parameters to the same values.
function sameParams (a: unknown, b: unknown): boolean {
  const left = a as Record<string, string>
  const right = b as Record<string, string>
  const keys = Object.keys(left)
  if (keys.length !== Object.keys(right).length) return false
  for (const key of keys) if (left[key] !== right[key]) return false
  return true
}

// A parameter over the router's maxParamLength: find-my-way answers with a stand-in (no
// query), and Fastify answers that method 414. It does not answer here, and by itself it
// does not make the path routed: where nothing else answers, Fastify's own 404 stands
// rather than an Allow the client could not use.
function answers (found: Found): found is NonNullable<Found> {
  return found !== null && found.searchParams !== undefined
}

// Hot path of every 405 and OPTIONS answer: asks Fastify's own router, method by method,
// what answers at this concrete path, so router options (case sensitivity, trailing slash,
// duplicate slashes) and constraints are honoured exactly as they are for routing. It asks
// with the path alone: the query string would be parsed again for every method. A URL the
// router cannot decode never gets here: Fastify's not-found router answers it 400.
//
// For a method that also has unbuilt routes it asks twice, once as routing does and once
// without them: the method answers here only when both find the same match (the unbuilt
// route, when it is the one routing picks, is seen by the first lookup alone). An unbuilt
// route still makes the path one that has routes: other methods there get 405, not 404.
export function methodsAt (
  fastify: FastifyInstance,
  candidates: readonly string[],
  withUnbuiltRoutes: ReadonlySet<string>,
  onlyUnbuilt: readonly string[],
  path: string,
  constraints: Constraints
): MethodsAtPath {
  const methods: string[] = []
  let routed = false
  for (let i = 0; i < candidates.length; i++) {
    const method = candidates[i]
    const unbuiltToo = withUnbuiltRoutes.has(method)
    const found: Found = fastify.findRoute({ method: method as 'GET', url: path, constraints: unbuiltToo ? asRouted(constraints) : constraints })
    if (!answers(found)) continue
    if (!routed && !isWholePathCapture(found.params, path)) routed = true
    if (unbuiltToo) {
      const built = fastify.findRoute({ method: method as 'GET', url: path, constraints })
      if (!answers(built) || !sameParams(found.params, built.params)) continue
    }
    methods.push(method)
  }
  // Methods whose only routes are unbuilt answer nowhere, but may still make this a path
  // that has routes.
  for (let i = 0; i < onlyUnbuilt.length && !routed; i++) {
    const found: Found = fastify.findRoute({ method: onlyUnbuilt[i] as 'GET', url: path, constraints: asRouted(constraints) })
    if (answers(found) && !isWholePathCapture(found.params, path)) routed = true
  }
  return { methods, routed }
}
