import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('../..')

// 0.1.0 registered in a child context answered for the whole app from that context's
// routes alone (501 for methods other contexts have); twice, it failed with Fastify's
// FST_ERR_SCH_ALREADY_PRESENT. Now it refuses with "register it once, at the root".
const fix = /register it once, at the root, before any route: `await app\.register\(notImplemented, options\)` on the instance `Fastify\(\)` returned$/

test('registered inside a prefixed plugin, the app does not start', async (t) => {
  const app = Fastify()
  app.register(async (v1) => {
    await v1.register(notImplemented)
    v1.get('/items', async () => [])
  }, { prefix: '/v1' })
  app.register(async (v2) => {
    v2.post('/items', async () => ({}))
  }, { prefix: '/v2' })
  await t.rejects(Promise.resolve(app.ready()), { message: /^fastify-not-implemented: registered inside an encapsulated plugin, where it would answer for the whole app from that plugin's routes alone; / })
  await t.rejects(Promise.resolve(app.ready()), { message: fix })
})

test('registered in two sibling contexts, the app does not start', async (t) => {
  const app = Fastify()
  app.register(async (a) => { await a.register(notImplemented) })
  app.register(async (b) => { await b.register(notImplemented) })
  await t.rejects(Promise.resolve(app.ready()), { message: /registered inside an encapsulated plugin/ })
})

test('registered at the root and again in a child, the error is the plugin\'s own', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.register(async (child) => { await child.register(notImplemented) })
  await t.rejects(Promise.resolve(app.ready()), { message: /^fastify-not-implemented: registered inside an encapsulated plugin/ })
})

test('registered twice at the root, the app does not start', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.register(notImplemented)
  await t.rejects(Promise.resolve(app.ready()), { message: /^fastify-not-implemented: registered twice; register it once, at the root/ })
})

test('registered once at the root, it answers from every context\'s routes', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.register(async (v1) => { v1.get('/items', async () => []) }, { prefix: '/v1' })
  app.register(async (v2) => { v2.post('/items', async () => ({})) }, { prefix: '/v2' })
  await app.ready()
  const res = await app.inject({ method: 'POST', url: '/v1/items' })
  t.equal(res.statusCode, 405)
  t.equal(res.headers.allow, 'GET, HEAD, OPTIONS')
  const options = await app.inject({ method: 'OPTIONS', url: '/v2/items' })
  t.equal(options.headers.allow, 'POST, OPTIONS')
})
