import fp = require('fastify-plugin')
import type { FastifyInstance, RouteOptions } from 'fastify'
import { normalizeOptions, type PluginOptions } from './options'
import { methodTable } from './method-table'
import { describeRoute } from './route-gate'
import { buildUnbuiltEndpoint } from './gate'
import { buildNotFoundHook } from './not-found'
import { notFoundAttacher, offerUnroutedMethods } from './fastify-internals'
import { checkPlacement } from './placement'
import { verifyGates } from './gate-check'
import type { RouteRecord } from './route-catalog'
import { unbuiltConstraintStrategy } from './unbuilt-routes'
import { buildGoneEndpoint } from './lifecycle-hooks'
import { clientErrorHandler, rememberSettings } from './client-error'
import { openFeatureFlags } from './openfeature'
import { openTelemetryMetrics } from './opentelemetry'
import { decisionChannelName, resolverChannelName } from './decisions'
import { errors } from './errors'
import { problemSchemas, schemas } from './schemas'
import { CapabilityCollector } from './capabilities'
import { buildCapabilitiesRoute } from './capabilities-route'
import { annotateRoutes } from './openapi'
import { setUpTierCache } from './tier-cache-setup'
import { routeHooks } from './route-hooks'
import { buildUnroutedMethodAnswer } from './unknown-method'

async function fastifyNotImplemented (fastify: FastifyInstance, options: PluginOptions): Promise<void> {
  const settings = normalizeOptions(options)
  const attachToNotFound = notFoundAttacher(fastify)
  checkPlacement(fastify)
  const catalog: RouteRecord[] = []
  const endpointNotImplemented = buildUnbuiltEndpoint(settings)
  const endpointGone = buildGoneEndpoint(settings)
  const capabilities = new CapabilityCollector(settings.autoOptions, settings.now)
  const capabilitiesRoute = settings.capabilitiesRoute === undefined
    ? undefined
    : buildCapabilitiesRoute(settings.capabilitiesRoute, capabilities)
  rememberSettings(fastify, settings)
  const hooksOf = routeHooks(settings, setUpTierCache(fastify, settings), { unbuilt: endpointNotImplemented, gone: endpointGone })
  fastify.addConstraintStrategy(unbuiltConstraintStrategy as unknown as Parameters<FastifyInstance['addConstraintStrategy']>[0])
  // A method no router knows (any token, over HTTP/2): 501, not Fastify's fallback 404.
  offerUnroutedMethods(fastify, buildUnroutedMethodAnswer(settings, fastify.log))

  // Only on request (`sharedSchemas: true`): every shared schema is compiled into the
  // serializer of every route with a response schema, at start-up. With `problemDetails`
  // the problem forms are the ones the plugin sends, and are registered too.
  if (settings.sharedSchemas) {
    for (const schema of Object.values(schemas)) fastify.addSchema(schema)
    if (settings.problemTypes !== undefined) for (const schema of Object.values(problemSchemas)) fastify.addSchema(schema)
  }

  // Route configuration is read once, here; only a route that asks something of the plugin
  // gets a hook.
  fastify.addHook('onRoute', (route) => {
    // The capability route (and the HEAD route Fastify derives from it) describes the API
    // and is no part of it.
    const described = capabilitiesRoute === undefined || route.handler !== capabilitiesRoute.handler
    catalog.push(hooksOf(route, described))
  })

  // An endpoint the contract lists and this build does not have: no handler to write.
  fastify.decorate('declareRoute', function declareRoute (this: FastifyInstance, route: Omit<RouteOptions, 'handler'>) {
    if (route !== null && typeof route === 'object' && 'handler' in route) {
      throw new TypeError(`fastify-not-implemented: declareRoute() declares an endpoint this build does not have, so it takes no handler (${describeRoute(route as RouteOptions)}); declare a built endpoint with route() or get(), post(), ...`)
    }
    // `config.gone: true` declares one this build has retired: it answers 410.
    if ((route.config as Record<string, unknown> | undefined)?.gone === true) return this.route({ ...route, handler: endpointGone })
    return this.route({ ...route, config: { ...route.config, implemented: false }, handler: endpointNotImplemented })
  })

  // The capability matrix, once the app is ready: every routed path and the methods there.
  fastify.decorate('capabilities', function capabilitiesOf () {
    return capabilities.snapshot()
  })
  if (capabilitiesRoute !== undefined) fastify.route(capabilitiesRoute)

  // The route table is complete only once the app is ready.
  fastify.addHook('onReady', async function () {
    verifyGates(catalog, settings)
    attachToNotFound(buildNotFoundHook(fastify, (at) => methodTable(catalog, at), settings))
    capabilities.seal(catalog)
    annotateRoutes(catalog, settings)
  })
}

const plugin = fp(fastifyNotImplemented, {
  fastify: '5.x',
  name: 'fastify-not-implemented'
})

// Every form in the contract: `require(...)`, `import x from`, and the named imports
// (assignments to module.exports.<name> are what Node's ESM loader reads names from).
module.exports = plugin
module.exports.default = plugin
module.exports.notImplemented = plugin
module.exports.fastifyNotImplemented = plugin
module.exports.clientErrorHandler = clientErrorHandler
module.exports.openFeatureFlags = openFeatureFlags
module.exports.openTelemetryMetrics = openTelemetryMetrics
module.exports.diagnosticsChannels = Object.freeze({ decision: decisionChannelName, resolver: resolverChannelName })
module.exports.errors = errors
module.exports.schemas = schemas
module.exports.problemSchemas = problemSchemas
