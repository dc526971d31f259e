import type { RouteOptions } from 'fastify'
import type { Settings } from './options'
import { describeRoute, readRouteGate, sameGate, type RouteGate } from './route-gate'
import { isMarkedUnbuilt } from './unbuilt-routes'

interface Installed {
  // The route options object itself: later onRoute hooks change this very object, and
  // Fastify builds the route's hooks and config from it.
  route: RouteOptions
  gate: RouteGate | undefined
  hook: unknown
}

// A plugin registered after this one sees each route after the plugin did, in its own
// onRoute hook, and may undo the gate: assign `route.onRequest = [...]` instead of
// appending, or set `config.tier` itself. So each route is read again once the app is
// ready, and the app does not start where the final config asks for a gate the route does
// not carry.
export class GateCheck {
  private readonly installed: Installed[] = []

  constructor (private readonly settings: Settings) {}

  add (route: RouteOptions, gate: RouteGate | undefined, hook: unknown): void {
    this.installed.push({ route, gate, hook })
  }

  verify (): void {
    const broken: string[] = []
    for (const { route, gate, hook } of this.installed) {
      const final = readRouteGate(route, this.settings)
      if (!sameGate(gate, final)) {
        broken.push(`${describeRoute(route)} (its config changed after the plugin read it)`)
      } else if (hook !== undefined && ![route.onRequest].flat().includes(hook as never)) {
        broken.push(`${describeRoute(route)} (the plugin's onRequest hook was removed)`)
      } else if (gate !== undefined && !gate.implemented && !isMarkedUnbuilt(route)) {
        broken.push(`${describeRoute(route)} (the plugin's constraint on an unbuilt route was removed)`)
      }
    }
    this.installed.length = 0
    if (broken.length > 0) {
      throw new Error(`fastify-not-implemented: ${broken.length} route(s) would not be gated as their config asks: ${broken.join('; ')}. A plugin registered after this one changed them in its onRoute hook; it must append to route.onRequest (and add to route.constraints) rather than assign them, and leave config.tier, config.feature and config.implemented to the route's declaration`)
    }
  }
}
