import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { errors, type PluginError } from './errors'
import type { Settings } from './options'
import type { RouteGate } from './route-gate'
import { outcomeHeaders, prepareAnswer, sendError, sendPrepared, type Headers, type PreparedAnswer } from './respond'
import { recordDecision, recordUnavailable, resolverChannel, type ResolverCall } from './decisions'
import { shapeOf } from './describe'
import { isThenable, settle, TimeoutError, withTimeout } from './with-timeout'
import type { TierSource } from './tier-cache'
import { upgradeUrlFor } from './upgrade-url'
import { hideAnswer } from './hidden-answers'

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

const hiddenTierMessage = 'This endpoint is not available on the current plan'

// Answers 501 for an endpoint the contract declares and this build lacks. It serves as the
// route's onRequest hook (so the body is never read) and as the handler of routes made with
// `declareRoute`, which the hook keeps from ever running.
export function buildUnbuiltEndpoint (settings: Settings): (request: FastifyRequest, reply: FastifyReply) => void {
  const headers = outcomeHeaders(settings, 'FST_ENDPOINT_NOT_IMPLEMENTED')
  return function endpointNotImplemented (request, reply) {
    const error = new errors.FST_ENDPOINT_NOT_IMPLEMENTED(request.method, request.routeOptions.url)
    recordDecision(reply, settings.logLevel, error)
    sendError(reply, error, headers)
  }
}

// Builds the onRequest hook of one gated route. Everything about the route is decided
// here; at request time the hook calls the resolver once, compares two ranks and asks the
// flag source, and fails closed (503, the handler never runs) when either cannot answer,
// and when anything else goes wrong on the way: `done()` is called on one path alone.
// `tierSource` is the resolver, or the entitlement cache in front of it (tier-cache.ts),
// with the time the gate allows it.
export function buildGateHook (gate: RouteGate, settings: Settings, tierSource: TierSource): Hook {
  const { tier: requiredTier, tierRank: requiredRank, feature } = gate
  const { tierRank, resolverTimeout, logLevel, tiers, hideBelowTier, upgradeUrl } = settings
  const { resolve: resolveTier, timeout: tierTimeout } = tierSource
  const isFeatureEnabled = settings.isFeatureEnabled as NonNullable<Settings['isFeatureEnabled']>
  const tierHeaders = outcomeHeaders(settings, 'FST_TIER_REQUIRED', settings.vary)
  const featureHeaders = outcomeHeaders(settings, 'FST_FEATURE_DISABLED', settings.vary)
  const unavailableHeaders: Headers = {
    ...outcomeHeaders(settings, 'FST_TIER_UNAVAILABLE', settings.vary),
    'retry-after': String(settings.retryAfter)
  }

  function unavailable (reply: FastifyReply, cause: unknown): void {
    const error = new errors.FST_TIER_UNAVAILABLE()
    recordUnavailable(reply, error, cause)
    sendError(reply, error, unavailableHeaders)
  }

  // The last word when the plugin's own answer could not be made: a plain 503, else
  // Fastify's own error path (500). The handler never runs either way. (`done()` itself
  // never throws: Fastify runs what follows it inside its own try.)
  function failClosed (reply: FastifyReply, crash: unknown): void {
    try {
      sendError(reply, new errors.FST_TIER_UNAVAILABLE(), unavailableHeaders)
    } catch {
      reply.send(crash)
    }
  }

  function tierError (): PluginError {
    const error = new errors.FST_TIER_REQUIRED(requiredTier)
    error.statusCode = hideBelowTier ? 404 : settings.tierRequiredStatus
    if (settings.exposeRequiredTier) error.requiredTier = requiredTier
    else error.message = hiddenTierMessage
    return error
  }
  // The route's denial, made once: the same for every caller below its tier, with the
  // upgrade link where the option is a string. A function's link is made per request.
  const plainDenial = requiredTier === undefined || hideBelowTier ? undefined : prepareAnswer(tierError, tierHeaders)
  const denial = typeof upgradeUrl === 'string' && plainDenial !== undefined
    ? prepareAnswer(() => {
      const error = tierError()
      error.upgradeUrl = upgradeUrl
      return error
    }, { ...tierHeaders, link: `<${upgradeUrl}>; rel="payment"` })
    : plainDenial

  // With `hideBelowTier`, the app's own 404, as for a path that does not exist; the log
  // line and the decision message still say why (with the status the caller got).
  function tierTooLow (request: FastifyRequest, reply: FastifyReply, held: string | null): void {
    const fields = { tierHeld: held, tierRequired: requiredTier }
    if (plainDenial === undefined) {
      recordDecision(reply, logLevel, tierError(), fields)
      hideAnswer(request)
      reply.callNotFound()
      return
    }
    recordDecision(reply, logLevel, plainDenial.error, fields)
    if (typeof upgradeUrl !== 'function') {
      sendPrepared(reply, denial as PreparedAnswer)
      return
    }
    const url = upgradeUrlFor(upgradeUrl, requiredTier as string, request)
    if (url === undefined) {
      sendPrepared(reply, plainDenial)
      return
    }
    const error = tierError()
    error.upgradeUrl = url
    sendError(reply, error, { ...tierHeaders, link: `<${url}>; rel="payment"` })
  }

  const featureAnswer = feature === undefined
    ? undefined
    : prepareAnswer(() => {
      const error = new errors.FST_FEATURE_DISABLED(feature)
      error.feature = feature
      return error
    }, featureHeaders)

  function featureOff (reply: FastifyReply): void {
    const prepared = featureAnswer as PreparedAnswer
    recordDecision(reply, logLevel, prepared.error)
    sendPrepared(reply, prepared)
  }

  // Calls a resolver or flag source and hands its answer on; whatever it throws, rejects
  // with or takes too long over is a 503. Its latency goes to the `resolver` channel, and
  // is measured only while someone listens there.
  function ask (source: ResolverCall['source'], call: () => unknown, timeout: number, request: FastifyRequest, reply: FastifyReply, onValue: (value: unknown) => void): void {
    const onError = (error: unknown): void => unavailable(reply, error)
    const onCrash = (crash: unknown): void => failClosed(reply, crash)
    if (!resolverChannel.hasSubscribers) {
      settle(call, timeout, onValue, onError, onCrash)
      return
    }
    const started = performance.now()
    const report = (outcome: ResolverCall['outcome']): void => {
      resolverChannel.publish({ request, source, route: request.routeOptions.url as string, duration: performance.now() - started, outcome } satisfies ResolverCall)
    }
    settle(call, timeout, (value) => {
      report('answered')
      onValue(value)
    }, (error) => {
      report(error instanceof TimeoutError ? 'timed out' : 'failed')
      onError(error)
    }, onCrash)
  }

  function checkFeature (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (feature === undefined) {
      done()
      return
    }
    ask('isFeatureEnabled', () => isFeatureEnabled(feature, request), resolverTimeout, request, reply, (enabled) => {
      if (enabled === true) done()
      else if (enabled === false) featureOff(reply)
      else unavailable(reply, new TypeError(`isFeatureEnabled("${feature}") returned ${shapeOf(enabled)}, not a boolean`))
    })
  }

  function afterTier (held: unknown, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    let rank = -1
    if (held != null) {
      const known = typeof held === 'string' ? tierRank.get(held) : undefined
      if (known === undefined) {
        unavailable(reply, new TypeError(`resolveTier returned ${shapeOf(held)}, which is not one of the tiers (${tiers.join(', ')})`))
        return
      }
      rank = known
    }
    if (rank < requiredRank) {
      tierTooLow(request, reply, (held as string | null | undefined) ?? null)
      return
    }
    checkFeature(request, reply, done)
  }

  // `ask` without its closures, for the resolver while nobody listens on the resolver
  // channel: the same answers on the same paths (what the resolver throws or rejects with is
  // a 503; what the rest throws goes to failClosed), and a synchronous resolver makes no
  // function and no promise per request.
  function askTier (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    let held: unknown
    try {
      held = resolveTier(request)
      // Inside the try: even reading `then` may throw on what a resolver returns.
      if (isThenable(held)) {
        withTimeout(held, tierTimeout).then((value) => afterTier(value, request, reply, done), (error) => unavailable(reply, error)).catch((crash) => failClosed(reply, crash))
        return
      }
    } catch (error) {
      unavailable(reply, error)
      return
    }
    afterTier(held, request, reply, done)
  }

  // Hot path of every request to a gated route. Synchronous resolvers take no promise.
  return function notImplementedGate (request, reply, done) {
    try {
      if (requiredTier === undefined) {
        checkFeature(request, reply, done)
        return
      }
      if (!resolverChannel.hasSubscribers) {
        askTier(request, reply, done)
        return
      }
      ask('resolveTier', () => resolveTier(request), tierTimeout, request, reply, (held) => afterTier(held, request, reply, done))
    } catch (crash) {
      failClosed(reply, crash)
    }
  }
}
