import type { RouteOptions } from 'fastify'
import type { Settings } from './options'

// What one route's `config` asks of the plugin, read and checked once, at registration.
export interface RouteGate {
  // false: declared in the contract, not built in this deploy.
  implemented: boolean
  tier: string | undefined
  // Rank of `tier` in the `tiers` option, so a request compares two numbers.
  tierRank: number
  feature: string | undefined
}

export function describeRoute (route: RouteOptions): string {
  const methods = Array.isArray(route.method) ? route.method.join(',') : route.method
  return `${methods} ${route.url}`
}

function fail (route: RouteOptions, message: string): never {
  throw new TypeError(`fastify-not-implemented: route ${describeRoute(route)}: ${message}`)
}

// Returns undefined for a route that asks nothing of the plugin, which then carries no
// hook at all. Bad configuration throws here, at start-up, naming the route.
export function readRouteGate (route: RouteOptions, settings: Settings): RouteGate | undefined {
  const config = route.config as Record<string, unknown> | undefined
  if (config == null) return undefined
  const { tier, feature, implemented } = config
  if (tier === undefined && feature === undefined && implemented === undefined) return undefined

  if (implemented !== undefined && typeof implemented !== 'boolean') {
    fail(route, `config.implemented must be a boolean, got ${JSON.stringify(implemented)}`)
  }
  let tierRank = -1
  if (tier !== undefined) {
    if (typeof tier !== 'string' || tier === '') fail(route, `config.tier must be a plan name, got ${JSON.stringify(tier)}`)
    if (settings.tiers.length === 0) fail(route, `config.tier is "${tier}" but the plugin has no "tiers" option`)
    const rank = settings.tierRank.get(tier)
    if (rank === undefined) fail(route, `config.tier "${tier}" is not one of the tiers: ${settings.tiers.join(', ')}`)
    if (settings.resolveTier === undefined) fail(route, `config.tier is "${tier}" but the plugin has no "resolveTier" option`)
    tierRank = rank
  }
  if (feature !== undefined) {
    if (typeof feature !== 'string' || feature.trim() === '') fail(route, `config.feature must be a non-empty string, got ${JSON.stringify(feature)}`)
    if (settings.isFeatureEnabled === undefined) fail(route, `config.feature is "${feature}" but the plugin has no "isFeatureEnabled" option`)
  }
  if (implemented !== false && tier === undefined && feature === undefined) return undefined
  return {
    implemented: implemented !== false,
    tier: tier as string | undefined,
    tierRank,
    feature: feature as string | undefined
  }
}

// Whether two readings of a route's config ask the same of the plugin.
export function sameGate (a: RouteGate | undefined, b: RouteGate | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.implemented === b.implemented && a.tier === b.tier && a.feature === b.feature
}
