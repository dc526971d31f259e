import type { FastifyReply, FastifyRequest, FastifySchema, RouteOptions } from 'fastify'
import type { CapabilityCollector, CapabilityMatrix } from './capabilities'
import type { Settings } from './options'

// A client holding the last matrix revalidates it every time and gets a bodiless 304 while
// the deploy is unchanged; a gated matrix is per caller, so no shared cache keeps it.
export const capabilitiesCacheControl = 'no-cache'
export const gatedCapabilitiesCacheControl = 'private, no-cache'

// RFC 9110 §13.1.2: If-None-Match compares entity tags weakly, and `*` matches any.
export function matchesIfNoneMatch (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  for (const raw of header.split(',')) {
    const tag = raw.trim()
    if (tag === '*') return true
    if ((tag.startsWith('W/') ? tag.slice(2) : tag) === etag) return true
  }
  return false
}

// The opt-in route that serves the capability matrix. It is registered with its own
// `config`, so it goes through the same gating as any route. It describes the API and is
// no part of it: the matrix leaves it out, and so does the OpenAPI document.
export function buildCapabilitiesRoute (
  route: NonNullable<Settings['capabilitiesRoute']>,
  collector: CapabilityCollector
): RouteOptions {
  const gated = route.config.tier !== undefined || route.config.feature !== undefined
  const cacheControl = gated ? gatedCapabilitiesCacheControl : capabilitiesCacheControl
  // Built on the first request, once the app is ready, and again when a sunset passes and
  // the collector makes a new matrix.
  let shown: CapabilityMatrix | undefined
  let body = ''
  let etag = ''

  function serveCapabilities (request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const matrix = collector.current()
    if (matrix !== shown) {
      shown = matrix
      body = JSON.stringify(matrix)
      etag = `"${matrix.digest}"`
    }
    reply.header('etag', etag).header('cache-control', cacheControl)
    if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send()
    return reply.type('application/json; charset=utf-8').send(body)
  }

  return {
    method: 'GET',
    url: route.url,
    config: { ...route.config },
    // @fastify/swagger leaves out a route whose schema says `hide`.
    schema: { hide: true } as FastifySchema,
    handler: serveCapabilities
  }
}
