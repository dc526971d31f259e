import { test } from 'tap'
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify'
import notImplemented = require('..')
import { tierFromHeader, tiers } from './helpers/gating'

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

const full: Options = { tiers, resolveTier: tierFromHeader, isFeatureEnabled: () => true }

// Bad route configuration, the options it is registered under, and the message it must give.
const badRoutes: Array<[string, Options, Record<string, unknown>, RegExp]> = [
  ['a tier not in tiers', full, { tier: 'gold' }, /^fastify-not-implemented: route GET \/x: config\.tier "gold" is not one of the tiers: free, plus, enterprise$/],
  ['a tier with no tiers option', { resolveTier: tierFromHeader }, { tier: 'plus' }, /^fastify-not-implemented: route GET \/x: config\.tier is "plus" but the plugin has no "tiers" option$/],
  ['a tier with no resolver', { tiers }, { tier: 'plus' }, /^fastify-not-implemented: route GET \/x: config\.tier is "plus" but the plugin has no "resolveTier" option$/],
  ['an empty tier', full, { tier: '' }, /route GET \/x: config\.tier must be a plan name, got ""/],
  ['a tier that is not a string', full, { tier: 2 }, /route GET \/x: config\.tier must be a plan name, got 2/],
  ['a feature with no isFeatureEnabled', { tiers }, { feature: 'bulk-export' }, /^fastify-not-implemented: route GET \/x: config\.feature is "bulk-export" but the plugin has no "isFeatureEnabled" option$/],
  ['an empty feature', full, { feature: '' }, /route GET \/x: config\.feature must be a non-empty string, got ""/],
  ['a blank feature', full, { feature: '   ' }, /route GET \/x: config\.feature must be a non-empty string, got " {3}"/],
  ['a feature that is not a string', full, { feature: 7 }, /route GET \/x: config\.feature must be a non-empty string, got 7/],
  ['a null feature', full, { feature: null }, /route GET \/x: config\.feature must be a non-empty string, got null/],
  ['implemented that is not a boolean', full, { implemented: 'no' }, /^fastify-not-implemented: route GET \/x: config\.implemented must be a boolean, got "no"$/],
  ['implemented: 0', full, { implemented: 0 }, /route GET \/x: config\.implemented must be a boolean, got 0/],
  ['a bad tier on an unbuilt route', full, { tier: 'gold', implemented: false }, /route GET \/x: config\.tier "gold" is not one of the tiers/]
]

for (const [label, options, config, message] of badRoutes) {
  test(`start-up fails on ${label}, naming the route`, async (t) => {
    // With the plugin awaited, the route is checked as it is added: app.get throws.
    const app = Fastify()
    await app.register(notImplemented, options)
    t.throws(() => app.get('/x', { config }, async () => 'x'), { name: 'TypeError', message })

    // With the plugin not awaited, the route is checked when the plugins load: ready rejects.
    const deferred = Fastify()
    deferred.register(notImplemented, options)
    deferred.register(async (child) => { child.get('/x', { config }, async () => 'x') })
    await t.rejects(async () => { await deferred.ready() }, { name: 'TypeError', message })
  })
}

test('the message names every method of a multi-method route, and the prefix', async (t) => {
  const app = Fastify()
  app.register(notImplemented, full)
  app.register(async (child) => {
    child.route({ method: ['GET', 'POST'], url: '/orders', config: { tier: 'platinum' }, handler: async () => 'x' })
  }, { prefix: '/v1' })
  await t.rejects(async () => { await app.ready() }, /route GET,POST \/v1\/orders: config\.tier "platinum"/)
})

test('declareRoute is checked the same way', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, full)
  t.throws(() => app.declareRoute({ method: 'GET', url: '/future', config: { tier: 'gold' } }), /route GET \/future: config\.tier "gold"/)
  t.throws(() => app.declareRoute({ method: 'GET', url: '/future', config: { feature: '' } }), /route GET \/future: config\.feature must be a non-empty string/)
})

test('tier and feature are each checked when both are set', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, { tiers, resolveTier: tierFromHeader })
  t.throws(() => app.get('/x', { config: { tier: 'plus', feature: 'f' } }, async () => 'x'), /config\.feature is "f" but the plugin has no "isFeatureEnabled" option/)
  t.throws(() => app.get('/y', { config: { tier: 'nope', feature: 'f' } }, async () => 'y'), /config\.tier "nope"/)
})

test('good configurations start, and options alone need no gated route', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, full)
  app.get('/a', { config: { tier: 'free' } }, async () => 'a')
  app.get('/b', { config: { feature: 'f', implemented: true } }, async () => 'b')
  app.get('/c', { config: { tier: 'enterprise', feature: 'f' } }, async () => 'c')
  app.get('/d', { config: { implemented: true } }, async () => 'd')
  app.get('/e', { config: { unrelated: 1 } as Record<string, unknown> }, async () => 'e')
  await t.resolves(async () => { await app.ready() })

  const bare = Fastify()
  await bare.register(notImplemented, { tiers })
  bare.get('/', async () => 'ok')
  await t.resolves(async () => { await bare.ready() })
})

// Which onRequest hooks a route ends up with, seen by an onRoute hook added after the plugin's.
async function hooksOf (register: (app: FastifyInstance) => void): Promise<Record<string, string[]>> {
  const app = Fastify()
  await app.register(notImplemented, full)
  const seen: Record<string, string[]> = {}
  app.addHook('onRoute', (route: RouteOptions) => {
    const hooks = route.onRequest === undefined ? [] : [route.onRequest].flat()
    seen[`${String(route.method)} ${route.url}`] = hooks.map((hook) => hook.name)
  })
  register(app)
  await app.ready()
  return seen
}

test('only routes that ask for gating carry a hook, and only one', async (t) => {
  const own = function ownHook (_request: unknown, _reply: unknown, done: () => void): void { done() }
  const seen = await hooksOf((app) => {
    app.get('/plain', async () => 'plain')
    app.get('/empty-config', { config: {} }, async () => 'x')
    app.get('/other-config', { config: { rateLimit: false } as Record<string, unknown> }, async () => 'x')
    app.get('/built', { config: { implemented: true } }, async () => 'x')
    app.get('/own', { onRequest: own }, async () => 'x')
    app.get('/tier', { config: { tier: 'plus' } }, async () => 'x')
    app.get('/feature', { config: { feature: 'f' }, onRequest: [own] }, async () => 'x')
    app.get('/unbuilt', { config: { implemented: false } }, async () => 'x')
    app.declareRoute({ method: 'POST', url: '/declared' })
  })
  t.same(seen, {
    'GET /plain': [],
    'HEAD /plain': [],
    'GET /empty-config': [],
    'HEAD /empty-config': [],
    'GET /other-config': [],
    'HEAD /other-config': [],
    'GET /built': [],
    'HEAD /built': [],
    'GET /own': ['ownHook'],
    'HEAD /own': ['ownHook'],
    'GET /tier': ['notImplementedGate'],
    'HEAD /tier': ['notImplementedGate'],
    'GET /feature': ['ownHook', 'notImplementedGate'],
    'HEAD /feature': ['ownHook', 'notImplementedGate'],
    'GET /unbuilt': ['endpointNotImplemented'],
    'HEAD /unbuilt': ['endpointNotImplemented'],
    'POST /declared': ['endpointNotImplemented']
  })
})
