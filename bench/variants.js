'use strict'

// One Fastify app per variant, each served by its own process (see server.js). Every
// variant serves the same route table; they differ only in who answers what.

const Fastify = require('fastify')
const notImplemented = require('..')
const { tiers, routeTable } = require('./routes')

const ranks = new Map(tiers.map((tier, rank) => [tier, rank]))

// The caller's plan, as an app would read it from its own authentication.
function planOf (request) {
  return request.headers['x-plan']
}

async function planOfAsync (request) {
  return request.headers['x-plan']
}

// What the plugin's gate does for a tier-gated route, written by hand the plain way:
// same statuses, same headers, same body.
function tierRequiredBody (tier) {
  return {
    statusCode: 501,
    code: 'FST_TIER_REQUIRED',
    error: 'Not Implemented',
    message: `This endpoint requires the ${tier} plan`,
    requiredTier: tier
  }
}

const unavailableBody = {
  statusCode: 503,
  code: 'FST_TIER_UNAVAILABLE',
  error: 'Service Unavailable',
  message: 'The caller\'s plan could not be determined'
}

function decide (held, required, reply) {
  const rank = held == null ? -1 : ranks.get(held)
  if (rank === undefined) {
    reply.code(503).header('cache-control', 'no-store').header('retry-after', '5').send(unavailableBody)
    return false
  }
  if (rank < ranks.get(required)) {
    reply.code(501).header('cache-control', 'private, no-store').send(tierRequiredBody(required))
    return false
  }
  return true
}

function handCheck (required) {
  return function checkTier (request, reply, done) {
    if (decide(planOf(request), required, reply)) done()
  }
}

function handCheckAsync (required) {
  return async function checkTier (request, reply) {
    const held = await planOfAsync(request)
    if (!decide(held, required, reply)) return reply
  }
}

function withHandCheck (build) {
  return (route) => route.config?.tier === undefined ? route : { ...route, onRequest: build(route.config.tier) }
}

const asIs = (route) => route

// name -> how the app is set up before its routes, and how each route is declared.
const variants = {
  bare: { setup () {}, route: asIs },
  plugin: {
    setup: (app) => app.register(notImplemented, { tiers, resolveTier: planOf }),
    route: asIs
  },
  'plugin-async': {
    setup: (app) => app.register(notImplemented, { tiers, resolveTier: planOfAsync }),
    route: asIs
  },
  hand: { setup () {}, route: withHandCheck(handCheck) },
  'hand-async': { setup () {}, route: withHandCheck(handCheckAsync) },
  'fastify-allow': {
    setup: (app) => app.register(require('fastify-allow').default),
    route: asIs
  }
}

// Builds (does not start) the app of one variant with `count` routes.
function buildApp (name, count = 50) {
  const variant = variants[name]
  if (variant === undefined) throw new Error(`unknown variant "${name}"; known: ${Object.keys(variants).join(', ')}`)
  const app = Fastify()
  variant.setup(app)
  const routes = routeTable(count).map(variant.route)
  app.register(async function routesPlugin (instance) {
    for (const route of routes) instance.route(route)
  })
  return app
}

module.exports = { buildApp, variantNames: Object.keys(variants) }
