import { test } from 'tap'
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import notImplemented = require('../..')
import { tierFromHeader } from '../helpers/gating'

// 0.1.0: a plugin registered after this one whose onRoute hook assigned `route.onRequest`
// (dropping the gate), or set `config.tier` itself, left `free` callers reaching the
// handler. Now such an app does not start.
const options = { tiers: ['free', 'plus'], resolveTier: tierFromHeader }

function laterPlugin (onRoute: (route: RouteOptions) => void) {
  return fp(async (fastify: FastifyInstance) => { fastify.addHook('onRoute', onRoute) }, { name: 'later' })
}

const timing = (): void => {}

test('a later onRoute hook that assigns route.onRequest stops the app, naming the route', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, options)
  await app.register(laterPlugin((route) => { route.onRequest = [(_request, _reply, done) => { timing(); done() }] }))
  app.get('/reports', { config: { tier: 'plus' } }, async () => 'paid')
  app.get('/open', async () => 'open')
  await t.rejects(Promise.resolve(app.ready()), {
    message: 'fastify-not-implemented: 2 route(s) would not be gated as their config asks: GET /reports (the plugin\'s onRequest hook was removed); HEAD /reports (the plugin\'s onRequest hook was removed). ' +
      'A plugin registered after this one changed them in its onRoute hook; it must append to route.onRequest and route.onSend (and add to route.constraints) rather than assign them, and leave config.tier, config.feature, config.implemented, config.deprecation and config.gone to the route\'s declaration'
  })
})

test('a later onRoute hook that assigns one function to route.onRequest stops the app too', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, options)
  await app.register(laterPlugin((route) => { route.onRequest = (_request, _reply, done) => { timing(); done() } }))
  app.get('/reports', { config: { tier: 'plus' } }, async () => 'paid')
  await t.rejects(Promise.resolve(app.ready()), { message: /^fastify-not-implemented: 2 route\(s\) would not be gated as their config asks: GET \/reports \(the plugin's onRequest hook was removed\); HEAD \/reports/ })
})

test('a later onRoute hook that leaves the plugin\'s hook as the one function of route.onRequest changes nothing', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, options)
  await app.register(laterPlugin((route) => {
    if (Array.isArray(route.onRequest)) route.onRequest = route.onRequest[route.onRequest.length - 1]
  }))
  app.get('/reports', { config: { tier: 'plus' } }, async () => 'paid')
  await app.ready()
  t.equal((await app.inject({ url: '/reports', headers: { 'x-tier': 'free' } })).statusCode, 501)
  t.equal((await app.inject({ url: '/reports', headers: { 'x-tier': 'plus' } })).body, 'paid')
})

test('a later onRoute hook that assigns route.constraints on an unbuilt route stops the app', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, options)
  await app.register(laterPlugin((route) => { route.constraints = { host: 'api.example' } }))
  app.declareRoute({ method: 'POST', url: '/reports' })
  await t.rejects(Promise.resolve(app.ready()), { message: /^fastify-not-implemented: 1 route\(s\) would not be gated as their config asks: POST \/reports \(the plugin's constraint on an unbuilt route was removed\)\./ })
})

test('a later onRoute hook that sets config.tier stops the app, naming the route', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, options)
  await app.register(laterPlugin((route) => {
    if (route.url.startsWith('/admin')) route.config = { ...route.config, tier: 'plus' }
  }))
  app.get('/admin/stats', async () => 'paid')
  await t.rejects(Promise.resolve(app.ready()), { message: /^fastify-not-implemented: 2 route\(s\) would not be gated as their config asks: GET \/admin\/stats \(its config changed after the plugin read it\); HEAD \/admin\/stats/ })
})

test('a later onRoute hook that sets a bad tier is refused like a bad declaration', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, options)
  await app.register(laterPlugin((route) => { route.config = { ...route.config, tier: 'gold' } }))
  app.get('/x', async () => 'x')
  await t.rejects(Promise.resolve(app.ready()), { message: /route GET \/x: config.tier "gold" is not one of the tiers: free, plus/ })
})

test('a later plugin that appends its hook and leaves config alone changes nothing', async (t) => {
  const app = Fastify()
  let ran = 0
  await app.register(notImplemented, options)
  await app.register(laterPlugin((route) => {
    route.onRequest = [...[route.onRequest ?? []].flat(), (_request, _reply, done) => { ran++; done() }]
  }))
  app.get('/reports', { config: { tier: 'plus' } }, async () => 'paid')
  await app.ready()
  const denied = await app.inject({ url: '/reports', headers: { 'x-tier': 'free' } })
  t.equal(denied.statusCode, 501)
  t.equal(denied.json().code, 'FST_TIER_REQUIRED')
  t.equal(ran, 0, 'the gate answered before the later hook')
  const allowed = await app.inject({ url: '/reports', headers: { 'x-tier': 'plus' } })
  t.equal(allowed.body, 'paid')
  t.equal(ran, 1)
})
