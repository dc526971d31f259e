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

async function fastifyNotImplemented (fastify: FastifyInstance, options: PluginOptions): Promise<void> {
  const settings = normalizeOptions(options)
  const table = new RouteTable()
  const attachToNotFound = notFoundAttacher(fastify)
  const endpointNotImplemented = buildUnbuiltEndpoint(settings)
  rememberSettings(fastify, settings)

  for (const schema of Object.values(schemas)) fastify.addSchema(schema)

  // Route configuration is read once, here; only a route that asks for gating gets a hook.
  fastify.addHook('onRoute', (route) => {
    table.add(route)
    const gate = readRouteGate(route, settings)
    if (gate === undefined) return
    const hook = gate.implemented ? buildGateHook(gate, settings) : endpointNotImplemented
    // A new array: the route's own may be shared with the HEAD route Fastify derives from it.
    route.onRequest = route.onRequest === undefined ? [hook] : [...[route.onRequest].flat(), hook]
  })

  // An endpoint the contract lists and this build does not have: no handler to write.
  fastify.decorate('declareRoute', function declareRoute (this: FastifyInstance, route: Omit<RouteOptions, 'handler'>) {
    return this.route({ ...route, config: { ...route.config, implemented: false }, handler: endpointNotImplemented })
  })

  // The route table is complete only once the app is ready.
  fastify.addHook('onReady', function (done) {
    attachToNotFound(buildNotFoundHook(fastify, table, settings))
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
