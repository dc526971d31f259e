import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('../..')

// 0.1.0: `app.register(notImplemented, opts)` without `await`, then a gated route: the
// route was added before the plugin loaded, and a `free` caller got 200. Now the app does
// not start, and the error names the routes and the fix.
const options = { tiers: ['free', 'plus'], resolveTier: () => 'free' }

test('a gated route declared after a register() that was not awaited stops the app from starting', async (t) => {
  const app = Fastify()
  app.register(notImplemented, options)
  app.get('/reports', { config: { tier: 'plus' } }, async () => ({ leaked: true }))
  app.post('/reports', async () => ({}))
  const error = await app.ready().then(() => undefined, (e: unknown) => e as Error)
  t.ok(error instanceof Error)
  t.equal((error as Error).message,
    'fastify-not-implemented: 1 route(s) were declared before the plugin loaded, so their tier, feature and implemented config would not be enforced and their methods would be missing from 405 and 501 answers: /reports (GET, HEAD, POST). ' +
    'A `register()` without `await`, or a plugin that adds routes (such as @fastify/cors) registered first, does this; register it once, at the root, before any route: `await app.register(notImplemented, options)` on the instance `Fastify()` returned')
  await t.rejects(Promise.resolve(app.listen({ port: 0 })), 'nor does it listen')
})

test('declareRoute is not there before the plugin has loaded', async (t) => {
  const app = Fastify()
  app.register(notImplemented, options)
  t.throws(() => (app as unknown as { declareRoute: (route: unknown) => void }).declareRoute({ method: 'GET', url: '/later' }), TypeError)
  await t.resolves(Promise.resolve(app.ready()), 'nothing was declared, so the app starts')
})

test('routes declared by a plugin registered before it stop the app too', async (t) => {
  const app = Fastify()
  await app.register(async (child) => {
    child.get('/early', async () => 'early')
  }, { prefix: '/v1' })
  app.register(notImplemented, options)
  await t.rejects(Promise.resolve(app.ready()), { message: /1 route\(s\) were declared before the plugin loaded, .*: \/v1\/early \(GET, HEAD\)\./ })
})

test('the same app with the register() awaited starts and gates', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, options)
  app.get('/reports', { config: { tier: 'plus' } }, async () => ({ leaked: true }))
  await app.ready()
  const res = await app.inject({ url: '/reports' })
  t.equal(res.statusCode, 501)
  t.equal(res.json().code, 'FST_TIER_REQUIRED')
})

test('routes declared in after() of the register() are seen too', async (t) => {
  const app = Fastify()
  app.register(notImplemented, options).after(() => {
    app.get('/reports', { config: { tier: 'plus' } }, async () => ({ leaked: true }))
  })
  await app.ready()
  t.equal((await app.inject({ url: '/reports' })).statusCode, 501)
})
