import { createHash } from 'node:crypto'
import { test } from 'tap'
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify'
import fc from 'fast-check'
import { request } from 'undici'
import notImplemented = require('..')
import { listen } from './helpers/http'

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

const tiers = ['free', 'plus', 'pro']
const gating: Options = {
  tiers,
  resolveTier: (request) => request.headers['x-tier'] as string | undefined,
  isFeatureEnabled: (feature, request) => request.headers['x-features']?.toString().split(',').includes(feature) ?? false
}

const ok = async (): Promise<{ ok: boolean }> => ({ ok: true })

// The matrix as JSON would sort it, key by key, to recompute the digest independently.
function sortedJson (value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(sortedJson).join(',') + ']'
  if (typeof value === 'object' && value !== null) {
    return '{' + Object.keys(value).sort().map((key) => JSON.stringify(key) + ':' + sortedJson((value as Record<string, unknown>)[key])).join(',') + '}'
  }
  return JSON.stringify(value)
}

test('capabilities() lists every routed path, each method that answers there, its gates and versions', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, gating)
  app.get('/pets', ok)
  app.post('/pets', { config: { tier: 'plus' } }, ok)
  app.get('/pets/:petId', ok)
  app.declareRoute({ method: 'DELETE', url: '/pets/:petId', config: { tier: 'pro' } })
  app.route({ method: ['PUT', 'PATCH'], url: '/pets/:petId', config: { feature: 'edit' }, handler: ok })
  app.get('/reports', { config: { tier: 'pro', feature: 'reports' } }, ok)
  app.get('/search', { constraints: { version: '2.0.0' } }, ok)
  app.get('/search', { constraints: { version: '1.0.0' } }, ok)
  app.get('/search', { constraints: { version: '3.0.0' }, config: { tier: 'plus' } }, ok)
  app.options('/cors', ok)
  app.get('/internal', { schema: { hide: true } as object }, ok)
  app.options('*', ok)
  await app.register(async (child) => { child.get('/status', ok) }, { prefix: '/v1' })
  await app.ready()

  const matrix = app.capabilities()
  t.match(matrix.digest, /^[0-9a-f]{64}$/)
  t.same(matrix.routes, [
    { path: '*', methods: [{ method: 'OPTIONS', implemented: true }] },
    {
      path: '/cors',
      methods: [{ method: 'OPTIONS', implemented: true }]
    },
    {
      path: '/internal',
      methods: [
        { method: 'GET', implemented: true, hidden: true },
        { method: 'HEAD', implemented: true, hidden: true },
        { method: 'OPTIONS', implemented: true }
      ]
    },
    {
      path: '/pets',
      methods: [
        { method: 'GET', implemented: true },
        { method: 'HEAD', implemented: true },
        { method: 'POST', implemented: true, tier: 'plus' },
        { method: 'OPTIONS', implemented: true }
      ]
    },
    {
      path: '/pets/:petId',
      methods: [
        { method: 'GET', implemented: true },
        { method: 'HEAD', implemented: true },
        { method: 'PUT', implemented: true, feature: 'edit' },
        { method: 'PATCH', implemented: true, feature: 'edit' },
        { method: 'DELETE', implemented: false, tier: 'pro' },
        { method: 'OPTIONS', implemented: true }
      ]
    },
    {
      path: '/reports',
      methods: [
        { method: 'GET', implemented: true, tier: 'pro', feature: 'reports' },
        { method: 'HEAD', implemented: true, tier: 'pro', feature: 'reports' },
        { method: 'OPTIONS', implemented: true }
      ]
    },
    {
      path: '/search',
      methods: [
        { method: 'GET', implemented: true, tier: 'plus', versions: ['3.0.0'] },
        { method: 'GET', implemented: true, versions: ['1.0.0', '2.0.0'] },
        { method: 'HEAD', implemented: true, tier: 'plus', versions: ['3.0.0'] },
        { method: 'HEAD', implemented: true, versions: ['1.0.0', '2.0.0'] },
        // Only versioned routes here: OPTIONS, too, answers in those versions alone.
        { method: 'OPTIONS', implemented: true, versions: ['1.0.0', '2.0.0', '3.0.0'] }
      ]
    },
    {
      path: '/v1/status',
      methods: [
        { method: 'GET', implemented: true },
        { method: 'HEAD', implemented: true },
        { method: 'OPTIONS', implemented: true }
      ]
    }
  ])
  // The digest is sha256 over the canonical (key-sorted) JSON of the routes.
  t.equal(matrix.digest, createHash('sha256').update(sortedJson(matrix.routes)).digest('hex'))
})

test('the matrix shows what answers: no OPTIONS without autoOptions, no HEAD without exposeHeadRoutes', async (t) => {
  const app = Fastify({ exposeHeadRoutes: false })
  await app.register(notImplemented, { autoOptions: false })
  app.get('/a', ok)
  app.post('/b', ok)
  await app.ready()
  t.same(app.capabilities().routes, [
    { path: '/a', methods: [{ method: 'GET', implemented: true }] },
    { path: '/b', methods: [{ method: 'POST', implemented: true }] }
  ])
  // The methods are what a client really gets: no route anywhere answers HEAD or OPTIONS.
  t.equal((await app.inject({ method: 'HEAD', url: '/a' })).statusCode, 501)
  const options = await app.inject({ method: 'OPTIONS', url: '/a' })
  t.equal(options.statusCode, 501)
  t.equal(options.json().code, 'FST_METHOD_NOT_IMPLEMENTED')
})

test('an app with no routes has an empty matrix with a digest', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  await app.ready()
  t.same(app.capabilities(), { digest: createHash('sha256').update('[]').digest('hex'), routes: [] })
})

test('capabilities() before ready throws a clear error', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/a', ok)
  t.throws(() => app.capabilities(), { message: /capabilities\(\) is available once the app is ready; call it after `await fastify.ready\(\)`/ })
  await app.ready()
  t.equal(app.capabilities().routes.length, 1)
})

test('each call returns its own copy of the matrix', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/a', ok)
  await app.ready()
  const first = app.capabilities()
  first.routes[0].methods.length = 0
  first.routes.push({ path: '/b', methods: [] })
  t.equal(app.capabilities().routes.length, 1)
  t.equal(app.capabilities().routes[0].methods.length, 3)
  t.not(app.capabilities(), app.capabilities())
})

const routePool: Array<Omit<RouteOptions, 'handler'>> = [
  { method: 'GET', url: '/a' },
  { method: 'POST', url: '/a', config: { tier: 'plus' } },
  { method: 'DELETE', url: '/a/:id', config: { implemented: false } },
  { method: 'GET', url: '/a/:id', config: { feature: 'beta' } },
  { method: 'GET', url: '/v', constraints: { version: '1.0.0' } },
  { method: 'GET', url: '/v', constraints: { version: '2.0.0' }, config: { tier: 'pro' } },
  { method: 'GET', url: '/v', constraints: { version: '3.0.0' } },
  { method: ['PUT', 'PATCH'], url: '/b' },
  { method: 'OPTIONS', url: '/b' },
  { method: 'GET', url: '/old', config: { deprecation: { date: '2025-01-01', sunset: '2100-01-01' } } },
  { method: 'GET', url: '/retired', config: { gone: true } }
]

async function digestFor (routes: ReadonlyArray<Omit<RouteOptions, 'handler'>>): Promise<string> {
  const app = Fastify()
  await app.register(notImplemented, gating)
  for (const route of routes) app.route({ ...route, handler: ok })
  await app.ready()
  const { digest } = app.capabilities()
  await app.close()
  return digest
}

test('the digest is the same whatever the registration order', async (t) => {
  const reference = await digestFor(routePool)
  await t.resolves(fc.assert(fc.asyncProperty(fc.shuffledSubarray(routePool, { minLength: routePool.length }), async (order) => {
    return (await digestFor(order)) === reference
  }), { numRuns: 25 }), '25 registration orders, one digest')
})

test('the digest changes when any route, method, gate or version changes', async (t) => {
  const reference = await digestFor(routePool)
  const variants: Array<Array<Omit<RouteOptions, 'handler'>>> = [
    routePool.slice(1),
    [...routePool, { method: 'GET', url: '/c' }],
    routePool.map((r) => r.url === '/a' && r.method === 'POST' ? { ...r, config: { tier: 'pro' } } : r),
    routePool.map((r) => r.url === '/a/:id' && r.method === 'GET' ? { ...r, config: { feature: 'gamma' } } : r),
    routePool.map((r) => r.url === '/a/:id' && r.method === 'DELETE' ? { ...r, config: {} } : r),
    routePool.map((r) => r.constraints?.version === '3.0.0' ? { ...r, constraints: { version: '3.1.0' } } : r),
    routePool.map((r) => r.url === '/a' && r.method === 'GET' ? { ...r, url: '/A' } : r),
    routePool.map((r) => r.url === '/old' ? { ...r, config: { deprecation: { date: '2025-01-02', sunset: '2100-01-01' } } } : r),
    routePool.map((r) => r.url === '/old' ? { ...r, config: { deprecation: { date: '2025-01-01', sunset: '2100-01-02' } } } : r),
    routePool.map((r) => r.url === '/old' ? { ...r, config: { deprecation: { date: '2025-01-01' } } } : r),
    routePool.map((r) => r.url === '/retired' ? { ...r, config: { gone: false } } : r)
  ]
  const digests = await Promise.all(variants.map(digestFor))
  t.equal(new Set([reference, ...digests]).size, variants.length + 1)
})

async function withRoute (t: { teardown: (fn: () => unknown) => void }, options: Options = {}): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(notImplemented, { ...gating, capabilitiesRoute: '/.well-known/capabilities', ...options })
  app.get('/pets', ok)
  app.post('/pets', { config: { tier: 'plus' } }, ok)
  app.declareRoute({ method: 'DELETE', url: '/pets/:petId' })
  await app.ready()
  return app
}

test('the capability route serves the matrix with a strong ETag and Cache-Control', async (t) => {
  const app = await withRoute(t)
  const res = await app.inject('/.well-known/capabilities')
  t.equal(res.statusCode, 200)
  t.same(res.json(), app.capabilities())
  t.equal(res.headers.etag, `"${app.capabilities().digest}"`)
  t.equal(res.headers['cache-control'], 'no-cache')
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  // It describes the API and is no part of it.
  t.notOk(app.capabilities().routes.some((route) => route.path === '/.well-known/capabilities'))
  t.same(app.capabilities().routes.map((route) => route.path), ['/pets', '/pets/:petId'])

  const head = await app.inject({ method: 'HEAD', url: '/.well-known/capabilities' })
  t.equal(head.statusCode, 200)
  t.equal(head.body, '')
  t.equal(head.headers.etag, res.headers.etag)

  // It is a route like any other for the plugin's method semantics.
  const options = await app.inject({ method: 'OPTIONS', url: '/.well-known/capabilities' })
  t.equal(options.statusCode, 204)
  t.equal(options.headers.allow, 'GET, HEAD, OPTIONS')
  const post = await app.inject({ method: 'POST', url: '/.well-known/capabilities' })
  t.equal(post.statusCode, 405)
  t.equal(post.headers.allow, 'GET, HEAD, OPTIONS')
})

test('If-None-Match with the digest gets 304 with no body', async (t) => {
  const app = await withRoute(t)
  const etag = `"${app.capabilities().digest}"`
  const matching = [etag, `W/${etag}`, '*', `"other", ${etag}`, ` "a" ,W/${etag} `]
  for (const header of matching) {
    const res = await app.inject({ url: '/.well-known/capabilities', headers: { 'if-none-match': header } })
    t.equal(res.statusCode, 304, header)
    t.equal(res.body, '', header)
    t.equal(res.headers.etag, etag, header)
    t.equal(res.headers['cache-control'], 'no-cache', header)
  }
  for (const header of ['"other"', app.capabilities().digest, `"${app.capabilities().digest.slice(1)}"`, '']) {
    const res = await app.inject({ url: '/.well-known/capabilities', headers: { 'if-none-match': header } })
    t.equal(res.statusCode, 200, header)
    t.same(res.json(), app.capabilities(), header)
  }
})

test('the capability route over a real socket: 200, then 304 on revalidation', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, { capabilitiesRoute: { url: '/caps' } })
  app.get('/a', ok)
  const { origin } = await listen(t, app)
  const first = await request(`${origin}/caps`)
  t.equal(first.statusCode, 200)
  const body = await first.body.json() as { digest: string }
  t.equal(body.digest, app.capabilities().digest)
  t.equal(first.headers.etag, `"${body.digest}"`)
  t.equal(first.headers['cache-control'], 'no-cache')
  t.equal(first.headers['content-length'], String(JSON.stringify(app.capabilities()).length))

  const second = await request(`${origin}/caps`, { headers: { 'if-none-match': first.headers.etag as string } })
  t.equal(second.statusCode, 304)
  t.equal(await second.body.text(), '')
  t.equal(second.headers.etag, first.headers.etag)
  t.equal(second.headers['cache-control'], 'no-cache')
})

test('the capability route can itself be gated by tier and feature', async (t) => {
  const app = await withRoute(t, { capabilitiesRoute: { url: '/caps', config: { tier: 'pro', feature: 'capabilities' } } })
  const low = await app.inject({ url: '/caps', headers: { 'x-tier': 'plus', 'x-features': 'capabilities' } })
  t.equal(low.statusCode, 501)
  t.equal(low.json().code, 'FST_TIER_REQUIRED')
  t.equal(low.json().requiredTier, 'pro')
  t.equal(low.headers['cache-control'], 'private, no-store')
  t.equal(low.headers.etag, undefined)

  const off = await app.inject({ url: '/caps', headers: { 'x-tier': 'pro' } })
  t.equal(off.statusCode, 501)
  t.equal(off.json().code, 'FST_FEATURE_DISABLED')
  t.equal(off.json().feature, 'capabilities')

  const allowed = await app.inject({ url: '/caps', headers: { 'x-tier': 'pro', 'x-features': 'capabilities' } })
  t.equal(allowed.statusCode, 200)
  t.same(allowed.json(), app.capabilities())
  // A per-caller answer: no shared cache may keep it.
  t.equal(allowed.headers['cache-control'], 'private, no-cache')

  // A 304 is only for a caller who may see the matrix.
  const revalidate = await app.inject({ url: '/caps', headers: { 'x-tier': 'free', 'x-features': 'capabilities', 'if-none-match': allowed.headers.etag as string } })
  t.equal(revalidate.statusCode, 501)
})

test('a capability route gated by a tier the app lacks fails at start-up, naming the route', async (t) => {
  const app = Fastify()
  await t.rejects(async () => { await app.register(notImplemented, { ...gating, capabilitiesRoute: { url: '/caps', config: { tier: 'gold' } } }) }, {
    message: 'fastify-not-implemented: route GET /caps: config.tier "gold" is not one of the tiers: free, plus, pro'
  })
})

test('the capabilitiesRoute option is checked at registration', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    ['caps', /option "capabilitiesRoute" must be a path starting with "\/" \(for example "\/\.well-known\/capabilities"\), got "caps"/],
    [42, /option "capabilitiesRoute" must be a path starting with "\/".*got 42/],
    [{ url: 5 }, /option "capabilitiesRoute" must be a path starting with "\/".*got 5/],
    [{}, /option "capabilitiesRoute" must be a path starting with "\/".*got undefined/],
    [{ url: '/caps', method: 'POST' }, /option "capabilitiesRoute" has an unknown key "method"; known keys: url, config/],
    [{ url: '/caps', config: 'pro' }, /option "capabilitiesRoute.config" must be an object such as \{ tier, feature \}/],
    [{ url: '/caps', config: { tier: 'pro', implemented: false } }, /option "capabilitiesRoute.config" has an unknown key "implemented"; known keys: tier, feature/]
  ]
  for (const [capabilitiesRoute, message] of bad) {
    const app = Fastify()
    await t.rejects(async () => { await app.register(notImplemented, { capabilitiesRoute } as unknown as Options) }, { name: 'TypeError', message }, JSON.stringify(capabilitiesRoute))
  }
})

test('the capability route does not change a user\'s config object', async (t) => {
  const config = { tier: 'plus' }
  const app = Fastify()
  await app.register(notImplemented, { ...gating, capabilitiesRoute: { url: '/caps', config } })
  await app.ready()
  t.same(config, { tier: 'plus' })
  t.equal((await app.inject({ url: '/caps', headers: { 'x-tier': 'plus' } })).statusCode, 200)
  t.equal((await app.inject({ url: '/caps' })).statusCode, 501)
})

test('capabilities() shows deprecation, sunset and gone per method, and a new digest once a sunset passes', async (t) => {
  let time = Date.parse('2026-03-01T00:00:00Z')
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(notImplemented, { now: () => time, capabilitiesRoute: '/.well-known/capabilities' })
  app.get('/v1/orders', { config: { deprecation: { date: new Date('2026-01-15T00:00:00Z'), sunset: '2026-07-01T12:00:00Z', link: 'https://example.com/m' } } }, ok)
  app.post('/v1/orders', ok)
  app.get('/v1/report', { config: { deprecation: { date: '2026-01-15' } } }, ok)
  app.declareRoute({ method: 'DELETE', url: '/v1/orders', config: { gone: true } })
  await app.ready()
  const deprecated = { implemented: true, deprecation: '2026-01-15T00:00:00.000Z', sunset: '2026-07-01T12:00:00.000Z' }
  const before = app.capabilities()
  t.same(before.routes, [
    {
      path: '/v1/orders',
      methods: [
        { method: 'GET', ...deprecated },
        { method: 'HEAD', ...deprecated },
        { method: 'POST', implemented: true },
        { method: 'DELETE', implemented: true, gone: true },
        { method: 'OPTIONS', implemented: true }
      ]
    },
    {
      path: '/v1/report',
      methods: [
        { method: 'GET', implemented: true, deprecation: '2026-01-15T00:00:00.000Z' },
        { method: 'HEAD', implemented: true, deprecation: '2026-01-15T00:00:00.000Z' },
        { method: 'OPTIONS', implemented: true }
      ]
    }
  ])
  t.equal(before.digest, createHash('sha256').update(sortedJson(before.routes)).digest('hex'))
  const first = await app.inject({ url: '/.well-known/capabilities' })
  t.equal(first.headers.etag, `"${before.digest}"`)

  time = Date.parse('2026-07-01T12:00:00Z') - 1
  t.equal(app.capabilities().digest, before.digest, 'the same until the sunset')

  time = Date.parse('2026-07-01T12:00:00Z')
  const after = app.capabilities()
  t.same(after.routes[0].methods.slice(0, 2), [{ method: 'GET', ...deprecated, gone: true }, { method: 'HEAD', ...deprecated, gone: true }])
  t.not(after.digest, before.digest)
  t.equal(after.digest, createHash('sha256').update(sortedJson(after.routes)).digest('hex'))
  const second = await app.inject({ url: '/.well-known/capabilities', headers: { 'if-none-match': first.headers.etag as string } })
  t.equal(second.statusCode, 200, 'the old ETag no longer matches')
  t.equal(second.headers.etag, `"${after.digest}"`)
  t.same(second.json(), after)
})
