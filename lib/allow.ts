import type { FastifyInstance } from 'fastify'

export interface MethodsAtPath {
  // Every method that answers at the path, in the candidates' order.
  methods: string[]
  // Whether a route other than a root catch-all answers there: a path only a catch-all
  // answers is still "no route here" and keeps its 404.
  routed: boolean
}

type Constraints = Record<string, string>
type Found = ReturnType<FastifyInstance['findRoute']>

function pathOf (url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

function decodedOrNull (path: string): string | null {
  try {
    return decodeURIComponent(path)
  } catch {
    return null
  }
}

// A root catch-all (`*` or `/*`) captures the whole path in its one `*` parameter; a
// narrower wildcard such as `/files/*` captures only part of it.
function isWholePathCapture (params: Record<string, string | undefined>, path: string): boolean {
  const keys = Object.keys(params)
  if (keys.length !== 1 || keys[0] !== '*') return false
  const rest = params['*'] as string
  const decoded = decodedOrNull(path)
  return rest === decoded || '/' + rest === decoded
}

// Hot path of every 405 and OPTIONS answer: asks Fastify's own router, method by method,
// what answers at this concrete URL, so router options (case sensitivity, trailing slash,
// duplicate slashes) and constraints are honoured exactly as they are for routing.
// Returns undefined when the router cannot read the URL (bad encoding, over-long
// parameter): Fastify's own answer for it must stand.
export function methodsAt (
  fastify: FastifyInstance,
  candidates: readonly string[],
  catchAll: ReadonlySet<string>,
  url: string,
  constraints: Constraints | undefined
): MethodsAtPath | undefined {
  const methods: string[] = []
  let routed = false
  let path: string | undefined
  for (let i = 0; i < candidates.length; i++) {
    const method = candidates[i]
    let found: Found
    try {
      found = fastify.findRoute({ method: method as 'GET', url, constraints })
    } catch {
      return undefined
    }
    if (found === null) continue
    // find-my-way answers an unreadable URL (bad encoding, over-long parameter) with a
    // stand-in handler and no query: not a route.
    if (found.searchParams === undefined) return undefined
    methods.push(method)
    if (routed) continue
    if (catchAll.has(method)) {
      if (path === undefined) path = pathOf(url)
      if (isWholePathCapture(found.params as Record<string, string | undefined>, path)) continue
    }
    routed = true
  }
  return { methods, routed }
}
