import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onSendHookHandler } from 'fastify'
import { errors } from './errors'
import type { Clock, Settings } from './options'
import type { LifecycleHeaders } from './lifecycle'
import { outcomeHeaders, sendError } from './respond'
import { recordDecision } from './decisions'
import { isHiddenAnswer } from './hidden-answers'

type Answer = (request: FastifyRequest, reply: FastifyReply) => void
type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

// Answers 410 for a retired endpoint. Like the unbuilt endpoint's 501, it serves as the
// route's onRequest hook (so the handler never runs and the body is never read) and as the
// handler of retired routes made with `declareRoute`.
export function buildGoneEndpoint (settings: Settings): Answer {
  const headers = outcomeHeaders(settings, 'FST_ENDPOINT_GONE')
  return function endpointGone (request, reply) {
    const error = new errors.FST_ENDPOINT_GONE(request.method, request.routeOptions.url)
    recordDecision(reply, settings.logLevel, error)
    sendError(reply, error, headers)
  }
}

// The onRequest hook of a route with a sunset: the handler's until then, 410 from then on,
// without a restart.
export function buildSunsetHook (sunset: number, now: Clock, gone: Answer): Hook {
  // Hot path of every request to a route with a sunset: one call of the clock and one
  // comparison. A clock that answers NaN retires the route rather than keep it alive.
  return function notImplementedSunset (request, reply, done) {
    if (now() < sunset) done()
    else gone(request, reply)
  }
}

// The onSend hook of a deprecated route: every response it makes (every status, the
// handler's errors, HEAD, and the 410 once it is gone) says so, but for the 404 that
// `hideBelowTier` gives a caller below the route's tier. A Link the handler set is
// kept, and the deprecation link added to it.
export function buildDeprecationHeaders ({ deprecation, sunset, link }: LifecycleHeaders & { deprecation: string }): onSendHookHandler {
  return function notImplementedDeprecation (request, reply, payload, done) {
    // A caller below the route's tier, answered as if the route did not exist, must not
    // learn from these headers that it does.
    if (isHiddenAnswer(request)) {
      done(null, payload)
      return
    }
    reply.header('deprecation', deprecation)
    if (sunset !== undefined) reply.header('sunset', sunset)
    if (link !== undefined) {
      const existing = reply.getHeader('link')
      if (existing === undefined || existing === '') reply.header('link', link)
      else if (Array.isArray(existing)) reply.header('link', [...existing, link])
      else reply.header('link', `${String(existing)}, ${link}`)
    }
    done(null, payload)
  }
}
