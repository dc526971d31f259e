import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import type { Settings } from './options'
import type { TierSource } from './tier-cache'
import { readRouteGate, type RouteGate } from './route-gate'
import { buildGateHook } from './gate'
import { readLifecycle } from './lifecycle'
import { buildDeprecationHeaders, buildSunsetHook } from './lifecycle-hooks'
import { buildHiddenAnswerHeaders } from './hidden-answers'
import { constraintFor, markRoute } from './unbuilt-routes'
import { noHooks, recordRoute, type RouteRecord } from './route-catalog'

type Answer = (request: FastifyRequest, reply: FastifyReply) => void

// What each route asks of the plugin, read once, when it is added: the hooks it gets (none
// for a route that asks nothing), the router constraint that keeps an unbuilt or retired
// route out of the plugin's lookups, and the record every later reading goes by.
export function routeHooks (settings: Settings, tierSource: TierSource, answers: { unbuilt: Answer, gone: Answer }): (route: RouteOptions, described: boolean) => RouteRecord {
  const hiddenAnswerHeaders = buildHiddenAnswerHeaders(settings)
  // The gate hook of a tier and feature: the same for every route that asks for them (the
  // hook reads nothing else of its route), so it is made once, however many routes share it.
  const gateHooks = new Map<string, unknown>()
  function gateHookOf (gate: RouteGate): unknown {
    const key = JSON.stringify([gate.tier, gate.feature])
    let hook = gateHooks.get(key)
    if (hook === undefined) gateHooks.set(key, (hook = buildGateHook(gate, settings, tierSource)))
    return hook
  }
  return function hooksOf (route, described) {
    const gate = readRouteGate(route, settings)
    const lifecycle = readLifecycle(route)
    if (gate === undefined && lifecycle === undefined) return recordRoute(route, undefined, undefined, noHooks, described)
    const onRequest: unknown[] = []
    const onSend: unknown[] = []
    // The life cycle's hook comes first: a retired route answers 410 to everyone.
    if (lifecycle?.gone === true) onRequest.push(answers.gone)
    else if (lifecycle?.sunset !== undefined) onRequest.push(buildSunsetHook(lifecycle.sunset, settings.now, answers.gone))
    if (gate !== undefined) onRequest.push(gate.implemented ? gateHookOf(gate) : answers.unbuilt)
    // A new array: the route's own may be shared with the HEAD route Fastify derives from it.
    if (onRequest.length > 0) route.onRequest = [...[route.onRequest ?? []].flat(), ...onRequest] as RouteOptions['onRequest']
    if (lifecycle?.deprecation !== undefined) onSend.push(buildDeprecationHeaders(lifecycle.headers as Parameters<typeof buildDeprecationHeaders>[0]))
    // The app's 404, when the gate hides the route, is sent with the route's own onSend
    // hooks: the last of them makes it private to the caller.
    if (settings.hideBelowTier && gate?.tier !== undefined && gate.implemented) onSend.push(hiddenAnswerHeaders)
    if (onSend.length > 0) route.onSend = [...[route.onSend ?? []].flat(), ...onSend] as RouteOptions['onSend']
    const constraint = constraintFor(gate?.implemented === false || lifecycle?.gone === true, lifecycle?.sunset)
    if (constraint !== undefined) markRoute(route, constraint)
    return recordRoute(route, gate, lifecycle, { onRequest, onSend, constraint }, described)
  }
}
