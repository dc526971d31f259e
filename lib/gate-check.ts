import type { RouteRecord } from './route-catalog'
import type { Settings } from './options'
import { describeRoute, readRouteGate, sameGate } from './route-gate'
import { readLifecycle, sameLifecycle } from './lifecycle'
import { constraintOf } from './unbuilt-routes'

// Whether a route's hook option (one function, an array of them, or none) still holds
// every one of the plugin's hooks. No copies: this runs for every route at start-up.
function holdsAll (option: unknown, hooks: readonly unknown[]): boolean {
  for (const hook of hooks) {
    if (!(Array.isArray(option) ? option.includes(hook) : option === hook)) return false
  }
  return true
}

// Why a route would not be gated (or retired) as its config asks, or undefined.
function brokenGate ({ route, gate, lifecycle, hooks }: RouteRecord, settings: Settings): string | undefined {
  if (!sameGate(gate, readRouteGate(route, settings)) || !sameLifecycle(lifecycle, readLifecycle(route))) {
    return 'its config changed after the plugin read it'
  }
  if (!holdsAll(route.onRequest, hooks.onRequest)) return 'the plugin\'s onRequest hook was removed'
  if (!holdsAll(route.onSend, hooks.onSend)) return 'the plugin\'s onSend hook was removed'
  if (hooks.constraint !== undefined && constraintOf(route) !== hooks.constraint) {
    return gate !== undefined && !gate.implemented ? 'the plugin\'s constraint on an unbuilt route was removed' : 'the plugin\'s constraint on a retired or retiring route was removed'
  }
  return undefined
}

// A plugin registered after this one sees each route after the plugin did, in its own
// onRoute hook, and may undo the gate: assign `route.onRequest = [...]` instead of
// appending, or set `config.tier` itself. So each route is read again once the app is
// ready, and the app does not start where the final config asks for a gate (or a life
// cycle) the route does not carry.
export function verifyGates (records: readonly RouteRecord[], settings: Settings): void {
  const broken: string[] = []
  for (const record of records) {
    // A route with no config, now or when the plugin read it, has nothing to undo: most
    // routes, checked here without a call.
    if (record.route.config == null && record.gate === undefined && record.lifecycle === undefined) continue
    const why = brokenGate(record, settings)
    if (why !== undefined) broken.push(`${describeRoute(record.route)} (${why})`)
  }
  if (broken.length > 0) {
    throw new Error(`fastify-not-implemented: ${broken.length} route(s) would not be gated as their config asks: ${broken.join('; ')}. A plugin registered after this one changed them in its onRoute hook; it must append to route.onRequest and route.onSend (and add to route.constraints) rather than assign them, and leave config.tier, config.feature, config.implemented, config.deprecation and config.gone to the route's declaration`)
  }
}
