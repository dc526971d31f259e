import fp = require('fastify-plugin')
import type { FastifyInstance, RouteOptions } from 'fastify'
import { normalizeOptions, type PluginOptions } from './options'
import { methodTable } from './method-table'
import { describeRoute, readRouteGate } from './route-gate'
import { buildGateHook, buildUnbuiltEndpoint } from './gate'
import { buildNotFoundHook } from './not-found'
import { notFoundAttacher } from './fastify-internals'
import { checkPlacement } from './placement'
import { verifyGates } from './gate-check'
import { recordRoute, type RouteRecord } from './route-catalog'
import { constraintFor, markRoute, unbuiltConstraintStrategy } from './unbuilt-routes'
import { readLifecycle } from './lifecycle'
import { buildDeprecationHeaders, buildGoneEndpoint, buildSunsetHook } from './lifecycle-hooks'
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
import { buildHiddenAnswerHeaders } from './hidden-answers'

async function fastifyNotImplemented (fastify: FastifyInstance, options: PluginOptions): Promise<void> {
  const settings = normalizeOptions(options)
  const attachToNotFound = notFoundAttacher(fastify)
  checkPlacement(fastify)
  const catalog: RouteRecord[] = []
  const endpointNotImplemented = buildUnbuiltEndpoint(settings)
  const endpointGone = buildGoneEndpoint(settings)
  const hiddenAnswerHeaders = buildHiddenAnswerHeaders(settings)
  const capabilities = new CapabilityCollector(settings.autoOptions, settings.now)
  const capabilitiesRoute = settings.capabilitiesRoute === undefined
    ? undefined
    : buildCapabilitiesRoute(settings.capabilitiesRoute, capabilities)
  rememberSettings(fastify, settings)
  const tierSource = setUpTierCache(fastify, settings)
  fastify.addConstraintStrategy(unbuiltConstraintStrategy as unknown as Parameters<FastifyInstance['addConstraintStrategy']>[0])

  // Only on request (`sharedSchemas: true`): every shared schema is compiled into the
  // serializer of every route with a response schema, at start-up. With `problemDetails`
  // the problem forms are the ones the plugin sends, and are registered too.
  if (settings.sharedSchemas) {
    for (const schema of Object.values(schemas)) fastify.addSchema(schema)
    if (settings.problemTypes !== undefined) for (const schema of Object.values(problemSchemas)) fastify.addSchema(schema)
  }

  // Route configuration is read once, here; only a route that asks something of the plugin
  // gets a hook. The life cycle's hook comes first: a retired route answers 410 to everyone.
  fastify.addHook('onRoute', (route) => {
    const gate = readRouteGate(route, settings)
    const lifecycle = readLifecycle(route)
    const onRequest: unknown[] = []
    const onSend: unknown[] = []
    if (lifecycle?.gone === true) onRequest.push(endpointGone)
    else if (lifecycle?.sunset !== undefined) onRequest.push(buildSunsetHook(lifecycle.sunset, settings.now, endpointGone))
    if (gate !== undefined) onRequest.push(gate.implemented ? buildGateHook(gate, settings, tierSource) : endpointNotImplemented)
    // A new array: the route's own may be shared with the HEAD route Fastify derives from it.
    if (onRequest.length > 0) route.onRequest = [...[route.onRequest ?? []].flat(), ...onRequest] as RouteOptions['onRequest']
    if (lifecycle?.deprecation !== undefined) onSend.push(buildDeprecationHeaders(lifecycle.headers as Parameters<typeof buildDeprecationHeaders>[0]))
    // The app's 404, when the gate hides the route, is sent with the route's own onSend
    // hooks: the last of them makes it private to the caller.
    if (settings.hideBelowTier && gate?.tier !== undefined && gate.implemented) onSend.push(hiddenAnswerHeaders)
    if (onSend.length > 0) route.onSend = [...[route.onSend ?? []].flat(), ...onSend] as RouteOptions['onSend']
    const constraint = constraintFor(gate?.implemented === false || lifecycle?.gone === true, lifecycle?.sunset)
    if (constraint !== undefined) markRoute(route, constraint)
    // The capability route (and the HEAD route Fastify derives from it) describes the API
    // and is no part of it.
    const described = capabilitiesRoute === undefined || route.handler !== capabilitiesRoute.handler
    catalog.push(recordRoute(route, gate, lifecycle, { onRequest, onSend, constraint }, described))
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
