import { test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { request as undiciRequest } from 'undici'
import notImplemented = require('..')
import { featureDisabledBody } from './helpers/bodies'
import { counted, flagFromHeader, tierFromHeader, tiers } from './helpers/gating'
import { listen } from './helpers/http'

async function build (isFeatureEnabled: (feature: string, request: FastifyRequest) => boolean | Promise<boolean>): Promise<{ app: FastifyInstance, handler: ReturnType<typeof counted<[], unknown>> }> {
  const app = Fastify()
  const handler = counted(() => ({ exported: true }))
  // No tiers and no resolveTier: a feature-only route needs neither.
  await app.register(notImplemented, { isFeatureEnabled })
  app.get('/export', { config: { feature: 'bulk-export' } }, async () => handler())
  app.post('/export', { config: { feature: 'bulk-export' } }, async () => handler())
  return { app, handler }
}

const sources: Record<string, (feature: string, request: FastifyRequest) => boolean | Promise<boolean>> = {
  sync: flagFromHeader,
  async: async (feature: string, request: FastifyRequest) => flagFromHeader(feature, request)
}

for (const [kind, source] of Object.entries(sources)) {
  test(`${kind} flag off: 501 FST_FEATURE_DISABLED with the feature, handler never runs`, async (t) => {
    const flags = counted(source)
    const { app, handler } = await build(flags)
    for (const method of ['GET', 'POST'] as const) {
      const res = await app.inject({ method, url: '/export', headers: { 'x-flags': 'something-else' } })
      t.equal(res.statusCode, 501)
      t.same(res.json(), featureDisabledBody())
      t.equal(res.headers['cache-control'], 'private, no-store')
      t.equal(res.headers.vary, undefined)
      t.equal(res.headers['retry-after'], undefined)
    }
    t.equal(handler.calls, 0)
    t.equal(flags.calls, 2)
  })

  test(`${kind} flag on: the handler answers`, async (t) => {
    const flags = counted(source)
    const { app, handler } = await build(flags)
    const res = await app.inject({ url: '/export', headers: { 'x-flags': 'a,bulk-export' } })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { exported: true })
    t.equal(res.headers['cache-control'], undefined)
    t.equal(handler.calls, 1)
    t.equal(flags.calls, 1)
  })
}

test('the flag source gets the route feature and the Fastify request', async (t) => {
  const seen: Array<{ feature: string, url: string, method: string, header: unknown }> = []
  const { app } = await build((feature, request) => {
    seen.push({ feature, url: request.routeOptions.url as string, method: request.method, header: request.headers['x-flags'] })
    return false
  })
  await app.inject({ method: 'POST', url: '/export?q=1', headers: { 'x-flags': 'x' } })
  t.same(seen, [{ feature: 'bulk-export', url: '/export', method: 'POST', header: 'x' }])
})

test('HEAD on a feature-gated GET is gated the same way', async (t) => {
  const flags = counted(flagFromHeader)
  const { app, handler } = await build(flags)
  const off = await app.inject({ method: 'HEAD', url: '/export' })
  t.equal(off.statusCode, 501)
  t.equal(off.body, '')
  t.equal(off.headers['cache-control'], 'private, no-store')
  const on = await app.inject({ method: 'HEAD', url: '/export', headers: { 'x-flags': 'bulk-export' } })
  t.equal(on.statusCode, 200)
  t.equal(handler.calls, 1)
  t.equal(flags.calls, 2)
})

test('a feature-only route never asks for the tier', async (t) => {
  const app = Fastify()
  const resolver = counted(tierFromHeader)
  await app.register(notImplemented, { tiers, resolveTier: resolver, isFeatureEnabled: flagFromHeader })
  app.get('/export', { config: { feature: 'bulk-export' } }, async () => 'ok')
  t.equal((await app.inject({ url: '/export' })).statusCode, 501)
  t.equal((await app.inject({ url: '/export', headers: { 'x-flags': 'bulk-export' } })).statusCode, 200)
  t.equal(resolver.calls, 0)
})

test('routes with different features are judged by their own feature', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, { isFeatureEnabled: flagFromHeader })
  app.get('/a', { config: { feature: 'alpha' } }, async () => 'a')
  app.get('/b', { config: { feature: 'beta' } }, async () => 'b')
  const headers = { 'x-flags': 'alpha' }
  t.equal((await app.inject({ url: '/a', headers })).body, 'a')
  const b = await app.inject({ url: '/b', headers })
  t.equal(b.statusCode, 501)
  t.equal(b.json().feature, 'beta')
  t.equal(b.json().message, 'Feature beta is not enabled')
})

test('real socket: flag off and on', async (t) => {
  const { app, handler } = await build(async (feature, request) => flagFromHeader(feature, request))
  const { origin } = await listen(t, app)
  const off = await undiciRequest(`${origin}/export`, { method: 'POST', body: '{"big":true}', headers: { 'content-type': 'application/json' } })
  t.equal(off.statusCode, 501)
  t.equal(off.headers['cache-control'], 'private, no-store')
  t.same(await off.body.json(), featureDisabledBody())
  const on = await undiciRequest(`${origin}/export`, { headers: { 'x-flags': 'bulk-export' } })
  t.equal(on.statusCode, 200)
  t.same(await on.body.json(), { exported: true })
  t.equal(handler.calls, 1)
})

test('an app error handler formats FST_FEATURE_DISABLED', async (t) => {
  const { app } = await build(() => false)
  app.setErrorHandler((error: Error & { code?: string, feature?: string }, _request, reply) => {
    reply.send({ problem: error.code, feature: error.feature })
  })
  const res = await app.inject({ url: '/export' })
  t.equal(res.statusCode, 501)
  t.equal(res.headers['cache-control'], 'private, no-store')
  t.same(res.json(), { problem: 'FST_FEATURE_DISABLED', feature: 'bulk-export' })
})
