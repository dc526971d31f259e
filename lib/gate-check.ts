import type { RouteRecord } from './route-catalog'
import type { Settings } from './options'
import { describeRoute, readRouteGate, sameGate } from './route-gate'
import { isMarkedUnbuilt } from './unbuilt-routes'

// A plugin registered after this one sees each route after the plugin did, in its own
// onRoute hook, and may undo the gate: assign `route.onRequest = [...]` instead of
// appending, or set `config.tier` itself. So each route is read again once the app is
// ready, and the app does not start where the final config asks for a gate the route does
// not carry.
export function verifyGates (records: readonly RouteRecord[], settings: Settings): void {
  const broken: string[] = []
  for (const { route, gate, hook } of records) {
    const final = readRouteGate(route, settings)
    if (!sameGate(gate, final)) {
      broken.push(`${describeRoute(route)} (its config changed after the plugin read it)`)
    } else if (hook !== undefined && ![route.onRequest].flat().includes(hook as never)) {
      broken.push(`${describeRoute(route)} (the plugin's onRequest hook was removed)`)
    } else if (gate !== undefined && !gate.implemented && !isMarkedUnbuilt(route)) {
      broken.push(`${describeRoute(route)} (the plugin's constraint on an unbuilt route was removed)`)
    }
  }
  if (broken.length > 0) {
    throw new Error(`fastify-not-implemented: ${broken.length} route(s) would not be gated as their config asks: ${broken.join('; ')}. A plugin registered after this one changed them in its onRoute hook; it must append to route.onRequest (and add to route.constraints) rather than assign them, and leave config.tier, config.feature and config.implemented to the route's declaration`)
  }
}
