import { test } from 'tap'
import Fastify from 'fastify'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import notImplemented = require('..')

const tiers = { tiers: ['free', 'plus'], resolveTier: (request: { headers: Record<string, unknown> }) => request.headers['x-plan'] as string | undefined }

for (const order of ['helmet-first', 'plugin-first'] as const) {
  test(`@fastify/helmet, ${order}: its headers ride on the plugin's answers`, async (t) => {
    const app = Fastify()
    if (order === 'helmet-first') await app.register(helmet)
    await app.register(notImplemented, tiers)
    if (order === 'plugin-first') await app.register(helmet)
    app.get('/users', async () => [])
    app.get('/reports', { config: { tier: 'plus' } }, async () => ({}))
    t.teardown(() => app.close())

    const notAllowed = await app.inject({ method: 'POST', url: '/users' })
    // POST is implemented nowhere here: 501; either way helmet's headers are on it.
    t.equal(notAllowed.statusCode, 501)
    t.equal(notAllowed.headers['x-content-type-options'], 'nosniff')
    t.equal(notAllowed.headers['cache-control'], 'max-age=60')

    const gated = await app.inject({ method: 'GET', url: '/reports', headers: { 'x-plan': 'free' } })
    t.equal(gated.statusCode, 501)
    t.equal(gated.headers['x-content-type-options'], 'nosniff')
    t.equal(gated.headers['cache-control'], 'private, no-store')
  })
}

// Route-level hooks run in the order their plugins' onRoute hooks added them: registered
// first, rate-limit counts every request, denied ones too, before the tier resolver runs.
test('@fastify/rate-limit registered first: limits count gated answers and win once exceeded', async (t) => {
  const app = Fastify()
  await app.register(rateLimit, { max: 2, timeWindow: 60_000 })
  await app.register(notImplemented, tiers)
  let handled = 0
  app.get('/reports', { config: { tier: 'plus' } }, async () => { handled++; return {} })
  t.teardown(() => app.close())

  const statuses = []
  for (let i = 0; i < 3; i++) {
    statuses.push((await app.inject({ method: 'GET', url: '/reports', headers: { 'x-plan': i === 0 ? 'plus' : 'free' } })).statusCode)
  }
  t.same(statuses, [200, 501, 429], 'allowed, denied, then rate-limited')
  t.equal(handled, 1)
})

test('@fastify/under-pressure: its status route gets 405 for other methods, its 503 stands', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  await app.register(underPressure, { exposeStatusRoute: true })
  app.post('/jobs', async () => ({}))
  t.teardown(() => app.close())

  const status = await app.inject({ method: 'GET', url: '/status' })
  t.equal(status.statusCode, 200)
  const wrong = await app.inject({ method: 'POST', url: '/status' })
  t.equal(wrong.statusCode, 405)
  t.equal(wrong.headers.allow, 'GET, HEAD, OPTIONS')
})

test('@fastify/under-pressure under pressure: its own 503 answers before the plugin', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  await app.register(underPressure, { healthCheck: async () => false, healthCheckInterval: 10, pressureHandler: undefined })
  app.get('/users', async () => [])
  t.teardown(() => app.close())
  await app.ready()
  await new Promise((resolve) => setTimeout(resolve, 50))
  const res = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(res.statusCode, 503, "under-pressure's onRequest hook runs first on the not-found path too")
})
