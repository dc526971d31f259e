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

// Fifteen methods more than the route table's five, each on a path of its own: with them
// the app implements 20 methods, and a 405 must ask the router about every one of them.
const extraMethods = [
  'TRACE', 'QUERY', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK',
  'SEARCH', 'REPORT', 'MKCALENDAR', 'ACL', 'BIND', 'UNBIND'
]
const fastifyMethods = new Set(['GET', 'HEAD', 'TRACE', 'DELETE', 'OPTIONS', 'PATCH', 'PUT', 'POST', 'QUERY'])

function withTwentyMethods (setup) {
  return (app) => {
    for (const method of extraMethods) if (!fastifyMethods.has(method)) app.addHttpMethod(method)
    setup(app)
    app.register(async function otherMethods (instance) {
      for (const method of extraMethods) instance.route({ method, url: `/dav/${method.toLowerCase()}/:name`, handler: getNothing })
    })
  }
}

function getNothing (request, reply) {
  reply.send('')
}

// The plugin with its decision recording replaced by nothing at all, no channel code, and
// logLevel 'silent' (so the recording it replaces does nothing but check the channel):
// what an unsubscribed diagnostics channel is measured against. The compiled modules look
// these up on the exports object at each call, so replacing them here replaces them for the
// plugin; each variant runs in a process of its own.
function withoutChannelCode () {
  const decisions = require('../dist/decisions.js')
  decisions.recordDecision = function recordDecision () {}
  decisions.recordOptions = function recordOptions () {}
  decisions.resolverChannel = { hasSubscribers: false }
}

// Routes of the `users` resource with a deprecation date in the past and a sunset far
// ahead: they still answer, with Deprecation, Sunset and Link headers.
const deprecation = { date: '2026-01-01T00:00:00.000Z', sunset: '2099-01-01T00:00:00.000Z', link: 'https://example.com/deprecations/users' }
function deprecated (route) {
  return route.url === '/users' || route.url === '/users/:id' ? { ...route, config: { ...route.config, deprecation } } : route
}

// The least a 405 or 501 can cost through Fastify's own reply: a hook on the not-found path
// that finds the request in a table of answers made in advance (status, headers, body
// already serialized, the same bytes the plugin sends) and sends one. It knows only the
// requests of the benchmark and decides nothing; what it costs is what any answer with
// these headers and this body costs, whoever makes it.
function prebuilt (status, code, error, message, headers, extra = {}) {
  const body = JSON.stringify({ statusCode: status, code, error, message, ...extra })
  return { status, headers: { 'cache-control': 'max-age=60', ...headers, 'content-type': 'application/json; charset=utf-8' }, body }
}
const prebuiltAnswers = new Map([
  ['DELETE /users', prebuilt(405, 'FST_METHOD_NOT_ALLOWED', 'Method Not Allowed', 'Method DELETE is not allowed on /users', { allow: 'GET, HEAD, POST, OPTIONS' }, { allow: ['GET', 'HEAD', 'POST', 'OPTIONS'] })],
  ['POST /users/42', prebuilt(405, 'FST_METHOD_NOT_ALLOWED', 'Method Not Allowed', 'Method POST is not allowed on /users/42', { allow: 'GET, HEAD, PUT, DELETE, OPTIONS' }, { allow: ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'] })],
  ['PATCH /users/42', prebuilt(501, 'FST_METHOD_NOT_IMPLEMENTED', 'Not Implemented', 'Method PATCH is not implemented by this server', {})],
  ['PATCH /users', prebuilt(501, 'FST_METHOD_NOT_IMPLEMENTED', 'Not Implemented', 'Method PATCH is not implemented by this server', {})]
])
function answerPrebuilt (request, reply, done) {
  const found = prebuiltAnswers.get(request.raw.method + ' ' + request.raw.url)
  if (found === undefined) {
    done()
    return
  }
  reply.code(found.status).headers(found.headers).send(found.body)
}

// The headers the plugin sends for `deprecation` (above), set instead by a hand-written onSend
// hook on the same routes: what sending them costs, whoever sets them.
const deprecationHeaders = {
  deprecation: '@' + Date.parse(deprecation.date) / 1000,
  sunset: new Date(deprecation.sunset).toUTCString(),
  link: `<${deprecation.link}>; rel="deprecation"`
}
function setDeprecationHeaders (request, reply, payload, done) {
  reply.headers(deprecationHeaders)
  done(null, payload)
}
function handDeprecated (route) {
  return route.url === '/users' || route.url === '/users/:id' ? { ...route, onSend: setDeprecationHeaders } : route
}

// name -> how the app is set up before its routes, and how each route is declared.
const variants = {
  bare: { setup () {}, route: asIs },
  plugin: {
    setup: (app) => app.register(notImplemented, { tiers, resolveTier: planOf }),
    route: asIs
  },
  'plugin-shared-schemas': {
    setup: (app) => app.register(notImplemented, { tiers, resolveTier: planOf, sharedSchemas: true }),
    route: asIs
  },
  'plugin-async': {
    setup: (app) => app.register(notImplemented, { tiers, resolveTier: planOfAsync }),
    route: asIs
  },
  hand: { setup () {}, route: withHandCheck(handCheck) },
  'hand-prebuilt': {
    setup: (app) => app.setNotFoundHandler({ onRequest: answerPrebuilt }, function basic404 (request, reply) {
      reply.code(404).send({ message: `Route ${request.method}:${request.url} not found`, error: 'Not Found', statusCode: 404 })
    }),
    route: asIs
  },
  'hand-async': { setup () {}, route: withHandCheck(handCheckAsync) },
  'fastify-allow': {
    setup: (app) => app.register(require('fastify-allow').default),
    route: asIs
  },
  'bare-20-methods': { setup: withTwentyMethods(() => {}), route: asIs },
  'plugin-20-methods': {
    setup: withTwentyMethods((app) => app.register(notImplemented, { tiers, resolveTier: planOf })),
    route: asIs
  },
  'plugin-silent': {
    setup: (app) => app.register(notImplemented, { tiers, resolveTier: planOf, logLevel: 'silent' }),
    route: asIs
  },
  'plugin-silent-no-channel': {
    setup (app) {
      withoutChannelCode()
      app.register(notImplemented, { tiers, resolveTier: planOf, logLevel: 'silent' })
    },
    route: asIs
  },
  // Features other branches add; run.js and count.js skip the pairs that need them while
  // the plugin refuses their options (see pairs.js).
  'plugin-tier-cache': {
    setup: (app) => app.register(notImplemented, { tiers, resolveTier: planOf, tierCache: { key: planOf, ttl: 60000 } }),
    route: asIs
  },
  'plugin-deprecation': {
    setup: (app) => app.register(notImplemented, { tiers, resolveTier: planOf }),
    route: deprecated
  },
  'plugin-hand-deprecation': {
    setup: (app) => app.register(notImplemented, { tiers, resolveTier: planOf }),
    route: handDeprecated
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
