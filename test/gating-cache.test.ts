import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import cors from '@fastify/cors'
import { request as undiciRequest } from 'undici'
import notImplemented = require('..')
import { listen, tierFromHeader, tiers } from './helpers/gating-helpers'

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

const flagFromHeader = (feature: string, request: { headers: Record<string, unknown> }): boolean => request.headers['x-flags'] === feature

async function build (options: Options = {}, before?: (app: FastifyInstance) => Promise<void>): Promise<FastifyInstance> {
  const app = Fastify()
  if (before !== undefined) await before(app)
  await app.register(notImplemented, {
    tiers,
    resolveTier: tierFromHeader,
    isFeatureEnabled: flagFromHeader,
    ...options
  })
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'plus')
  app.get('/export', { config: { feature: 'bulk-export' } }, async () => 'export')
  app.get('/flaky', { config: { tier: 'plus' } }, async () => 'never')
  return app
}

const refusals = [
  { url: '/plus', code: 'FST_TIER_REQUIRED' },
  { url: '/export', code: 'FST_FEATURE_DISABLED' }
]

test('per-caller refusals default to private, no-store and no Vary', async (t) => {
  const app = await build()
  for (const { url, code } of refusals) {
    const res = await app.inject({ url, headers: { 'x-tier': 'free' } })
    t.equal(res.statusCode, 501)
    t.equal(res.json().code, code)
    t.equal(res.headers['cache-control'], 'private, no-store')
    t.equal(res.headers.vary, undefined)
  }
})

test('a policy a shared cache may store, with no `vary`, fails at start-up', async (t) => {
  for (const code of ['FST_TIER_REQUIRED', 'FST_FEATURE_DISABLED'] as const) {
    for (const policy of ['public, max-age=60', 'max-age=60', 's-maxage=600']) {
      const app = Fastify()
      app.register(notImplemented, { tiers, resolveTier: tierFromHeader, cacheControl: { [code]: policy } })
      await t.rejects(async () => { await app.ready() }, new RegExp(`cacheControl\\.${code}.*"vary"`), `${code}: ${policy}`)
    }
  }
})

test('policies a shared cache may not store need no `vary`', async (t) => {
  for (const policy of ['private, max-age=60', 'no-store', 'max-age=0, Private', 'NO-STORE']) {
    const app = await build({ cacheControl: { FST_TIER_REQUIRED: policy, FST_FEATURE_DISABLED: policy } })
    for (const { url } of refusals) {
      const res = await app.inject({ url })
      t.equal(res.headers['cache-control'], policy)
      t.equal(res.headers.vary, undefined)
    }
  }
})

test('a cacheable policy with `vary` sends both headers', async (t) => {
  const cacheControl = { FST_TIER_REQUIRED: 'public, max-age=60', FST_FEATURE_DISABLED: 'max-age=30' }
  const one = await build({ cacheControl, vary: 'Authorization' })
  const plus = await one.inject({ url: '/plus', headers: { 'x-tier': 'free' } })
  t.equal(plus.statusCode, 501)
  t.equal(plus.headers['cache-control'], 'public, max-age=60')
  t.equal(plus.headers.vary, 'Authorization')
  const exp = await one.inject({ url: '/export' })
  t.equal(exp.headers['cache-control'], 'max-age=30')
  t.equal(exp.headers.vary, 'Authorization')

  const two = await build({ cacheControl, vary: ['Authorization', 'X-Plan'] })
  t.equal((await two.inject({ url: '/plus' })).headers.vary, 'Authorization, X-Plan')

  // An allowed caller's response is the handler's own: no Cache-Control, no Vary added.
  const allowed = await one.inject({ url: '/plus', headers: { 'x-tier': 'plus' } })
  t.equal(allowed.statusCode, 200)
  t.equal(allowed.headers['cache-control'], undefined)
  t.equal(allowed.headers.vary, undefined)
})

test('`vary` also goes on private refusals, and never on the 503', async (t) => {
  const app = await build({ vary: 'Authorization', resolveTier: (request) => request.headers['x-tier'] === 'down' ? 'gold' : tierFromHeader(request) })
  const res = await app.inject({ url: '/plus' })
  t.equal(res.headers['cache-control'], 'private, no-store')
  t.equal(res.headers.vary, 'Authorization')
  const down = await app.inject({ url: '/plus', headers: { 'x-tier': 'down' } })
  t.equal(down.statusCode, 503)
  t.equal(down.headers['cache-control'], 'no-store')
  t.equal(down.headers.vary, undefined)
})

test('`false` sends no Cache-Control', async (t) => {
  const app = await build({ cacheControl: { FST_TIER_REQUIRED: false, FST_FEATURE_DISABLED: false, FST_TIER_UNAVAILABLE: false }, resolveTier: () => 'gold' })
  const unavailable = await app.inject({ url: '/plus' })
  t.equal(unavailable.statusCode, 503)
  t.equal(unavailable.headers['cache-control'], undefined)
  t.equal(unavailable.headers['retry-after'], '5')
  const off = await app.inject({ url: '/export' })
  t.equal(off.statusCode, 501)
  t.equal(off.headers['cache-control'], undefined)
})

test('Vary merges with the one @fastify/cors sets in its onRequest hook', async (t) => {
  const cacheControl = { FST_TIER_REQUIRED: 'public, max-age=60', FST_FEATURE_DISABLED: 'public, max-age=60' }
  const app = await build({ cacheControl, vary: 'Authorization' }, async (app) => {
    await app.register(cors, { origin: ['https://shop.example'] })
  })
  const { origin } = await listen(t, app)
  for (const { url, code } of refusals) {
    const res = await undiciRequest(`${origin}${url}`, { headers: { origin: 'https://shop.example', 'x-tier': 'free' } })
    t.equal(res.statusCode, 501)
    t.equal((await res.body.json() as { code: string }).code, code)
    t.equal(res.headers['access-control-allow-origin'], 'https://shop.example')
    t.equal(res.headers.vary, 'Origin, Authorization')
    t.equal(res.headers['cache-control'], 'public, max-age=60')
  }
})

test('Vary merges with one the app set earlier, without repeating a name', async (t) => {
  const cacheControl = { FST_TIER_REQUIRED: 'public, max-age=60' }
  const app = await build({ cacheControl, vary: ['Authorization', 'Accept-Language'] }, async (app) => {
    app.addHook('onRequest', async (request, reply) => {
      const vary = request.headers['x-existing-vary']
      if (typeof vary === 'string') reply.header('vary', vary.includes(';') ? vary.split(';') : vary)
    })
  })
  const cases: Array<[string | undefined, string[]]> = [
    [undefined, ['Authorization', 'Accept-Language']],
    ['Accept-Encoding', ['Accept-Encoding', 'Authorization', 'Accept-Language']],
    ['accept-encoding, authorization', ['accept-encoding', 'authorization', 'Accept-Language']],
    ['Accept-Language,Authorization', ['Accept-Language', 'Authorization']],
    // Set as an array of values.
    ['Origin;Accept', ['Origin', 'Accept', 'Authorization', 'Accept-Language']]
  ]
  for (const [existing, want] of cases) {
    const headers: Record<string, string> = { 'x-tier': 'free' }
    if (existing !== undefined) headers['x-existing-vary'] = existing
    const res = await app.inject({ url: '/plus', headers })
    t.equal(res.statusCode, 501)
    t.same([res.headers.vary].flat().join(',').split(/\s*,\s*/), want, String(existing))
  }
})
