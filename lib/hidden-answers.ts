import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'
import type { Settings } from './options'
import { mergeVary } from './respond'

// Requests that a gate answered with the app's own 404 (`hideBelowTier`): nothing the
// route adds on the way out (its deprecation headers) may tell such an answer from the 404
// of a path that does not exist. A WeakSet: it holds no request past its life.
const hiddenRequests = new WeakSet<FastifyRequest>()

export function hideAnswer (request: FastifyRequest): void {
  hiddenRequests.add(request)
}

export function isHiddenAnswer (request: FastifyRequest): boolean {
  return hiddenRequests.has(request)
}

// The hidden 404 still depends on who asks: a shared cache that stored it would refuse the
// route to a caller on the plan. So, whatever the app's not-found handler sets, it leaves
// with the Cache-Control of a tier denial (which only `private` or `no-store` can be) and
// a Vary on the `vary` option's headers. An app whose own 404s carry the same headers makes
// the two answers alike byte for byte. Fastify sends a route's `callNotFound()` with the
// route's own onSend hooks: this is the last of them on a tier-gated route, added only with
// `hideBelowTier`.
export function buildHiddenAnswerHeaders (settings: Settings): onSendHookHandler {
  const cacheControl = settings.cacheControl.FST_TIER_REQUIRED as string
  const vary = settings.vary.join(', ')
  return function notImplementedHiddenAnswer (request, reply: FastifyReply, payload, done) {
    if (isHiddenAnswer(request)) {
      reply.header('cache-control', cacheControl)
      if (vary !== '') reply.header('vary', mergeVary(reply.getHeader('vary'), vary))
    }
    done(null, payload)
  }
}
