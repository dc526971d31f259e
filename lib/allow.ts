import { unescape } from 'node:querystring'
import type { FastifyInstance } from 'fastify'

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

// The path the router matches for a target, as find-my-way reads it: an absolute-form
// target (`http://host/users`, RFC 9112 §3.2.2) by its path, `/` when it has none, and the
// asterisk form (`*`) as it is.
function routerPath (target: string): string {
  if (target.charCodeAt(0) === 47) return target
  const scheme = target.indexOf('://')
  if (scheme === -1) return target
  const slash = target.indexOf('/', scheme + 3)
  return slash === -1 ? '/' : target.slice(slash)
}

function withoutSlashes (path: string): string {
  return path.replaceAll('/', '')
}

// A root catch-all (`*` or `/*`, as @fastify/cors registers for OPTIONS) captures the whole
// path in its one `*` parameter; a narrower wildcard such as `/files/*` captures only part
// of it. Slashes are left out of the comparison because the router may have merged
// duplicate slashes or dropped a trailing one (router options) before capturing.
function isWholePathCapture (params: unknown, target: string): boolean {
  const keys = Object.keys(params as object)
  if (keys.length !== 1 || keys[0] !== '*') return false
  const rest = (params as Record<string, string>)['*']
  return withoutSlashes(rest) === withoutSlashes(unescape(routerPath(target)))
}

// Hot path of every 405 and OPTIONS answer: asks Fastify's own router, method by method,
// what answers at this concrete URL, so router options (case sensitivity, trailing slash,
// duplicate slashes) and constraints are honoured exactly as they are for routing. A URL
// the router cannot decode never gets here: Fastify's not-found router answers it 400.
export function methodsAt (
  fastify: FastifyInstance,
  candidates: readonly string[],
  url: string,
  constraints: Constraints
): MethodsAtPath {
  const methods: string[] = []
  const target = targetOf(url)
  let routed = false
  for (let i = 0; i < candidates.length; i++) {
    const method = candidates[i]
    const found: Found = fastify.findRoute({ method: method as 'GET', url, constraints })
    // A parameter over the router's maxParamLength: find-my-way answers with a stand-in
    // (no query), and Fastify answers that method 414. It does not answer here, and by
    // itself it does not make the path routed: where nothing else answers, Fastify's own
    // 404 stands rather than an Allow the client could not use.
    if (found === null || found.searchParams === undefined) continue
    methods.push(method)
    if (!routed && !isWholePathCapture(found.params, target)) routed = true
  }
  return { methods, routed }
}
