import fp = require('fastify-plugin')
import type { FastifyInstance, RouteOptions } from 'fastify'
import { normalizeOptions, type PluginOptions } from './options'
import { RouteTable } from './route-table'
import { readRouteGate } from './route-gate'
import { buildGateHook, buildUnbuiltEndpoint } from './gate'
import { buildNotFoundHook } from './not-found'
import { notFoundAttacher } from './not-found-contexts'
import { clientErrorHandler, rememberSettings } from './client-error'
import { openFeatureFlags } from './openfeature'
import { errors } from './errors'
import { schemas } from './schemas'
import { CapabilityCollector } from './capabilities'
import { buildCapabilitiesRoute } from './capabilities-route'
import { OpenApiAnnotations } from './openapi'

// Routes added before the plugin loaded (typically: declared right after a `register()`
// that was not awaited) never meet its onRoute hook, so a `tier` in their config would
// silently not gate them. Fastify cannot list their config, so say so loudly, once.
function warnAboutEarlierRoutes (fastify: FastifyInstance): void {
  const earlier = fastify.printRoutes({ commonPrefix: false }).split('\n')
    // A root catch-all registered first (@fastify/cors's `OPTIONS *`) is handled anyway.
    .filter((line) => line.trim() !== '' && line !== '(empty tree)' && !/^[└├│─\s]*\/?\* \(/.test(line))
  if (earlier.length === 0) return
  fastify.log.warn(`fastify-not-implemented: ${earlier.length} route(s) were registered before the plugin loaded; they are not gated by their config and may be missing from 405/501 decisions. Register the plugin with \`await\` before declaring routes:\n${earlier.join('\n')}`)
}

async function fastifyNotImplemented (fastify: FastifyInstance, options: PluginOptions): Promise<void> {
  const settings = normalizeOptions(options)
  const table = new RouteTable()
  const attachToNotFound = notFoundAttacher(fastify)
  const endpointNotImplemented = buildUnbuiltEndpoint(settings)
  const capabilities = new CapabilityCollector(settings.autoOptions)
  const openApi = new OpenApiAnnotations(settings)
  const capabilitiesRoute = settings.capabilitiesRoute === undefined
    ? undefined
    : buildCapabilitiesRoute(settings.capabilitiesRoute, capabilities)
  rememberSettings(fastify, settings)
  warnAboutEarlierRoutes(fastify)

  for (const schema of Object.values(schemas)) fastify.addSchema(schema)

  // Route configuration is read once, here; only a route that asks for gating gets a hook.
  fastify.addHook('onRoute', (route) => {
    table.add(route)
    const gate = readRouteGate(route, settings)
    // The capability route (and the HEAD route Fastify derives from it) is no part of the matrix.
    if (capabilitiesRoute === undefined || route.handler !== capabilitiesRoute.handler) {
      capabilities.add(route, gate)
      openApi.add(route, gate)
    }
    if (gate === undefined) return
    const hook = gate.implemented ? buildGateHook(gate, settings) : endpointNotImplemented
    // A new array: the route's own may be shared with the HEAD route Fastify derives from it.
    route.onRequest = route.onRequest === undefined ? [hook] : [...[route.onRequest].flat(), hook]
  })

  // An endpoint the contract lists and this build does not have: no handler to write.
  fastify.decorate('declareRoute', function declareRoute (this: FastifyInstance, route: Omit<RouteOptions, 'handler'>) {
    return this.route({ ...route, config: { ...route.config, implemented: false }, handler: endpointNotImplemented })
  })

  // The capability matrix, once the app is ready: every routed path and the methods there.
  fastify.decorate('capabilities', function capabilitiesOf () {
    return capabilities.snapshot()
  })
  if (capabilitiesRoute !== undefined) fastify.route(capabilitiesRoute)

  // The route table is complete only once the app is ready.
  fastify.addHook('onReady', function (done) {
    attachToNotFound(buildNotFoundHook(fastify, table, settings))
    capabilities.seal()
    openApi.apply()
    done()
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
module.exports.errors = errors
module.exports.schemas = schemas
