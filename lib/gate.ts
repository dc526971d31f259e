import { inspect } from 'node:util'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { errors, type PluginError } from './errors'
import type { Settings } from './options'
import type { RouteGate } from './route-gate'
import { outcomeHeaders, sendError, type Headers } from './respond'
import { logDecision } from './log'
import { isThenable, withTimeout } from './with-timeout'
import {
  ENDPOINT_NOT_IMPLEMENTED,
  FEATURE_DISABLED,
  TIER_REQUIRED,
  TIER_UNAVAILABLE
} from './codes'

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

const hiddenTierMessage = 'This endpoint is not available on the current plan'

// A short, never-throwing description of whatever a resolver or flag source gave back or
// threw: JSON.stringify and String throw on bigints, cycles and null-prototype objects.
function describe (value: unknown): string {
  return inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 100 })
}

// Answers 501 for an endpoint the contract declares and this build lacks. It serves as the
// route's onRequest hook (so the body is never read) and as the handler of routes made with
// `declareRoute`, which the hook keeps from ever running.
export function buildUnbuiltEndpoint (settings: Settings): (request: FastifyRequest, reply: FastifyReply) => void {
  const headers = outcomeHeaders(settings, ENDPOINT_NOT_IMPLEMENTED)
  return function endpointNotImplemented (request, reply) {
    const error = new errors.FST_ENDPOINT_NOT_IMPLEMENTED(request.method, request.routeOptions.url) as PluginError
    logDecision(reply, settings.logLevel, error)
    sendError(reply, error, headers)
  }
}

// Builds the onRequest hook of one gated route. Everything about the route is decided
// here; at request time the hook calls the resolver once, compares two ranks and asks the
// flag source, and fails closed (503, the handler never runs) when either cannot answer.
export function buildGateHook (gate: RouteGate, settings: Settings): Hook {
  const { tier: requiredTier, tierRank: requiredRank, feature } = gate
  const { tierRank, resolverTimeout, logLevel } = settings
  const resolveTier = settings.resolveTier as NonNullable<Settings['resolveTier']>
  const isFeatureEnabled = settings.isFeatureEnabled as NonNullable<Settings['isFeatureEnabled']>
  const tierHeaders = outcomeHeaders(settings, TIER_REQUIRED, settings.vary)
  const featureHeaders = outcomeHeaders(settings, FEATURE_DISABLED, settings.vary)
  const unavailableHeaders: Headers = {
    ...outcomeHeaders(settings, TIER_UNAVAILABLE),
    'retry-after': String(settings.retryAfter)
  }

  function unavailable (reply: FastifyReply, cause: unknown): void {
    const error = new errors.FST_TIER_UNAVAILABLE() as PluginError
    reply.log.warn({ notImplemented: { code: error.code, method: reply.request.method, route: reply.request.routeOptions.url }, err: cause }, `${error.message}: ${cause instanceof Error ? cause.message : describe(cause)}`)
    sendError(reply, error, unavailableHeaders)
  }

  function tierTooLow (reply: FastifyReply, held: string | null): void {
    const error = new errors.FST_TIER_REQUIRED(requiredTier) as PluginError
    error.statusCode = settings.tierRequiredStatus
    if (settings.exposeRequiredTier) error.requiredTier = requiredTier
    else error.message = hiddenTierMessage
    logDecision(reply, logLevel, error, { tierHeld: held, tierRequired: requiredTier })
    sendError(reply, error, tierHeaders)
  }

  function featureOff (reply: FastifyReply): void {
    const error = new errors.FST_FEATURE_DISABLED(feature) as PluginError
    error.feature = feature
    logDecision(reply, logLevel, error)
    sendError(reply, error, featureHeaders)
  }

  function checkFeature (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (feature === undefined) {
      done()
      return
    }
    let enabled: unknown
    let pending: PromiseLike<unknown> | undefined
    try {
      enabled = isFeatureEnabled(feature, request)
      // Inside the try: even reading `then` may throw on what a flag source returns.
      if (isThenable(enabled)) pending = enabled
    } catch (error) {
      unavailable(reply, error)
      return
    }
    if (pending !== undefined) {
      withTimeout(pending, resolverTimeout).then(
        (value) => afterFeature(value, reply, done),
        (error: unknown) => unavailable(reply, error)
      )
      return
    }
    afterFeature(enabled, reply, done)
  }

  function afterFeature (enabled: unknown, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (enabled === true) done()
    else if (enabled === false) featureOff(reply)
    else unavailable(reply, new TypeError(`isFeatureEnabled("${feature}") returned ${describe(enabled)}, not a boolean`))
  }

  function afterTier (held: unknown, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    let rank = -1
    if (held != null) {
      const known = typeof held === 'string' ? tierRank.get(held) : undefined
      if (known === undefined) {
        unavailable(reply, new TypeError(`resolveTier returned ${describe(held)}, which is not one of the tiers`))
        return
      }
      rank = known
    }
    if (rank < requiredRank) {
      tierTooLow(reply, (held as string | null | undefined) ?? null)
      return
    }
    checkFeature(request, reply, done)
  }

  // Hot path of every request to a gated route. Synchronous resolvers take no promise.
  return function notImplementedGate (request, reply, done) {
    if (requiredTier === undefined) {
      checkFeature(request, reply, done)
      return
    }
    let held: unknown
    let pending: PromiseLike<unknown> | undefined
    try {
      held = resolveTier(request)
      // Inside the try: even reading `then` may throw on what a resolver returns.
      if (isThenable(held)) pending = held
    } catch (error) {
      unavailable(reply, error)
      return
    }
    if (pending !== undefined) {
      withTimeout(pending, resolverTimeout).then(
        (value) => afterTier(value, request, reply, done),
        (error: unknown) => unavailable(reply, error)
      )
      return
    }
    afterTier(held, request, reply, done)
  }
}
