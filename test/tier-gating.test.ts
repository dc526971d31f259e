import { test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { request as undiciRequest, Client } from 'undici'
import notImplemented = require('..')
import { featureDisabledBody, tierRequiredBody } from './helpers/bodies'
import { counted, tierFromHeader, tiers } from './helpers/gating'
import { listen } from './helpers/http'

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

async function build (options: Options = {}): Promise<{ app: FastifyInstance, resolver: ReturnType<typeof counted<[FastifyRequest], string | undefined>>, handler: ReturnType<typeof counted<[], unknown>> }> {
  const app = Fastify()
  const resolver = counted(tierFromHeader)
  const handler = counted(() => ({ ok: true }))
  await app.register(notImplemented, { tiers, resolveTier: resolver, ...options })
  app.get('/plus', { config: { tier: 'plus' } }, async () => handler())
  app.get('/free', { config: { tier: 'free' } }, async () => handler())
  app.get('/open', async () => ({ open: true }))
  return { app, resolver, handler }
}

test('a tier below the route tier gets 501 FST_TIER_REQUIRED and the handler never runs', async (t) => {
  const { app, resolver, handler } = await build()
  const res = await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } })
  t.equal(res.statusCode, 501)
  t.same(res.json(), tierRequiredBody())
  t.equal(res.headers['cache-control'], 'private, no-store')
  t.equal(res.headers.vary, undefined)
  t.equal(res.headers['retry-after'], undefined)
  t.match(res.headers['content-type'], /^application\/json/)
  t.equal(handler.calls, 0)
  t.equal(resolver.calls, 1)
})

test('a tier at or above the route tier reaches the handler', async (t) => {
  const { app, resolver, handler } = await build()
  for (const tier of ['plus', 'enterprise']) {
    const res = await app.inject({ url: '/plus', headers: { 'x-tier': tier } })
    t.equal(res.statusCode, 200, tier)
    t.same(res.json(), { ok: true })
    t.equal(res.headers['cache-control'], undefined)
  }
  t.equal(handler.calls, 2)
  t.equal(resolver.calls, 2)
})

test('ranks follow the order of `tiers`, not the alphabet', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, { tiers: ['zeta', 'alpha', 'mid'], resolveTier: tierFromHeader })
  app.get('/x', { config: { tier: 'alpha' } }, async () => 'in')
  t.equal((await app.inject({ url: '/x', headers: { 'x-tier': 'zeta' } })).statusCode, 501)
  t.equal((await app.inject({ url: '/x', headers: { 'x-tier': 'alpha' } })).statusCode, 200)
  t.equal((await app.inject({ url: '/x', headers: { 'x-tier': 'mid' } })).statusCode, 200)
})

test('no tier (undefined or null) is below every tier, the lowest included', async (t) => {
  const { app, handler } = await build()
  for (const url of ['/plus', '/free']) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 501, url)
    t.same(res.json(), tierRequiredBody(url.slice(1)))
    t.equal(res.headers['cache-control'], 'private, no-store')
  }
  t.equal(handler.calls, 0)

  const withNull = Fastify()
  await withNull.register(notImplemented, { tiers, resolveTier: () => null })
  withNull.get('/free', { config: { tier: 'free' } }, async () => handler())
  const res = await withNull.inject({ url: '/free' })
  t.equal(res.statusCode, 501)
  t.same(res.json(), tierRequiredBody('free'))
  t.equal(handler.calls, 0)

  const asyncNone = Fastify()
  await asyncNone.register(notImplemented, { tiers, resolveTier: async () => undefined })
  asyncNone.get('/free', { config: { tier: 'free' } }, async () => handler())
  t.same((await asyncNone.inject({ url: '/free' })).json(), tierRequiredBody('free'))
  t.equal(handler.calls, 0)
})

test('an async resolver gates the same way', async (t) => {
  const { app, handler } = await build({ resolveTier: async (request) => tierFromHeader(request) })
  const low = await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } })
  t.equal(low.statusCode, 501)
  t.same(low.json(), tierRequiredBody())
  t.equal(low.headers['cache-control'], 'private, no-store')
  const high = await app.inject({ url: '/plus', headers: { 'x-tier': 'enterprise' } })
  t.equal(high.statusCode, 200)
  t.equal(handler.calls, 1)
})

test('exposeRequiredTier: false hides the tier from body and message', async (t) => {
  const { app, handler } = await build({ exposeRequiredTier: false })
  const res = await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } })
  t.equal(res.statusCode, 501)
  t.same(res.json(), {
    statusCode: 501,
    code: 'FST_TIER_REQUIRED',
    error: 'Not Implemented',
    message: 'This endpoint is not available on the current plan'
  })
  t.notOk('requiredTier' in res.json())
  t.notMatch(res.body, /plus/)
  t.equal(res.headers['cache-control'], 'private, no-store')
  t.equal(handler.calls, 0)
})

test('tierRequiredStatus answers 402 or 403 instead of 501', async (t) => {
  for (const [status, error] of [[402, 'Payment Required'], [403, 'Forbidden']] as const) {
    const { app, handler } = await build({ tierRequiredStatus: status })
    const res = await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } })
    t.equal(res.statusCode, status)
    t.same(res.json(), { ...tierRequiredBody(), statusCode: status, error })
    t.equal(res.headers['cache-control'], 'private, no-store')
    t.equal(handler.calls, 0)
    t.equal((await app.inject({ url: '/plus', headers: { 'x-tier': 'plus' } })).statusCode, 200)
  }
})

test('HEAD on a gated GET is gated the same way, with one resolver call', async (t) => {
  const { app, resolver, handler } = await build()
  const low = await app.inject({ method: 'HEAD', url: '/plus', headers: { 'x-tier': 'free' } })
  t.equal(low.statusCode, 501)
  t.equal(low.body, '')
  t.equal(low.headers['cache-control'], 'private, no-store')
  t.equal(handler.calls, 0)
  t.equal(resolver.calls, 1)

  const high = await app.inject({ method: 'HEAD', url: '/plus', headers: { 'x-tier': 'plus' } })
  t.equal(high.statusCode, 200)
  t.equal(high.body, '')
  t.equal(handler.calls, 1)
  t.equal(resolver.calls, 2)
})

test('a route with its own onRequest hooks keeps them and runs them before the gate, for GET and HEAD', async (t) => {
  const app = Fastify()
  const order: string[] = []
  const resolver = counted((request: FastifyRequest) => {
    order.push('resolve')
    return tierFromHeader(request)
  })
  await app.register(notImplemented, { tiers, resolveTier: resolver })
  const asArray = counted((_request: FastifyRequest, _reply: FastifyReply, done: () => void) => { order.push('own'); done() })
  const single = counted((_request: FastifyRequest, _reply: FastifyReply, done: () => void) => { order.push('own'); done() })
  app.get('/array', { config: { tier: 'plus' }, onRequest: [asArray] }, async () => 'array')
  app.get('/single', { config: { tier: 'plus' }, onRequest: single }, async () => 'single')

  for (const method of ['GET', 'HEAD'] as const) {
    for (const url of ['/array', '/single']) {
      order.length = 0
      const res = await app.inject({ method, url, headers: { 'x-tier': 'free' } })
      t.equal(res.statusCode, 501, `${method} ${url}`)
      t.same(order, ['own', 'resolve'], `${method} ${url}`)
    }
  }
  t.equal(asArray.calls, 2)
  t.equal(single.calls, 2)
  t.equal(resolver.calls, 4)
})

test('an app-wide auth hook runs first, so the resolver can read what it set', async (t) => {
  const app = Fastify()
  app.decorateRequest('plan', null)
  app.addHook('onRequest', async (request) => {
    const plans: Record<string, string> = { 'Bearer a': 'enterprise', 'Bearer b': 'free' }
    ;(request as unknown as { plan: string | null }).plan = plans[request.headers.authorization ?? ''] ?? null
  })
  await app.register(notImplemented, { tiers, resolveTier: (request) => (request as unknown as { plan: string | null }).plan })
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'in')
  t.equal((await app.inject({ url: '/plus', headers: { authorization: 'Bearer a' } })).statusCode, 200)
  t.equal((await app.inject({ url: '/plus', headers: { authorization: 'Bearer b' } })).statusCode, 501)
  t.equal((await app.inject({ url: '/plus' })).statusCode, 501)
})

test('method-override headers change nothing', async (t) => {
  const app = Fastify()
  const resolver = counted(tierFromHeader)
  await app.register(notImplemented, { tiers, resolveTier: resolver })
  const getHandler = counted(() => 'get')
  const postHandler = counted(() => 'post')
  app.get('/plus', { config: { tier: 'plus' } }, async () => getHandler())
  app.get('/mixed', async () => getHandler())
  app.post('/mixed', { config: { tier: 'plus' } }, async () => postHandler())

  for (const header of ['x-http-method-override', 'x-http-method', 'x-method-override']) {
    for (const value of ['POST', 'PUT', 'OPTIONS', 'HEAD']) {
      const gated = await app.inject({ url: '/plus', headers: { 'x-tier': 'free', [header]: value } })
      t.equal(gated.statusCode, 501, `${header}: ${value}`)
      t.equal(gated.json().code, 'FST_TIER_REQUIRED')
    }
    // The gated POST stays gated when it claims to be a GET...
    const post = await app.inject({ method: 'POST', url: '/mixed', headers: { 'x-tier': 'free', [header]: 'GET' } })
    t.equal(post.statusCode, 501, header)
    t.equal(post.json().code, 'FST_TIER_REQUIRED')
    // ...and a GET that claims to be the gated POST is an ordinary GET.
    const get = await app.inject({ url: '/mixed', headers: { 'x-tier': 'free', [header]: 'POST' } })
    t.equal(get.statusCode, 200)
    t.equal(get.body, 'get')
  }
  t.equal(postHandler.calls, 0)
  t.equal(getHandler.calls, 3)
  // The ungated GETs never asked for the tier.
  t.equal(resolver.calls, 12 + 3)
})

// What an allowed caller sees must be byte for byte what the app says without the plugin.
async function richApp (withPlugin: boolean): Promise<FastifyInstance> {
  const app = Fastify()
  if (withPlugin) await app.register(notImplemented, { tiers, resolveTier: tierFromHeader })
  const config: { tier?: 'plus' } = withPlugin ? { tier: 'plus' } : {}
  app.get('/rich', { config }, async (request, reply) => {
    reply
      .code(201)
      .header('x-custom', 'yes')
      .header('etag', '"v1"')
      .header('cache-control', 'public, max-age=30')
      .header('vary', 'Accept-Encoding')
      .header('set-cookie', ['a=1', 'b=2'])
    return { rich: true, query: request.query }
  })
  app.post('/rich', { config }, async (request, reply) => {
    reply.code(202).header('location', '/rich/1')
    return { echo: request.body }
  })
  return app
}

function withoutDate (headers: Record<string, unknown>): Record<string, unknown> {
  const { date, ...rest } = headers
  return rest
}

test('an allowed caller gets the handler response unchanged (inject)', async (t) => {
  const plain = await richApp(false)
  const gated = await richApp(true)
  const cases = [
    { method: 'GET' as const, url: '/rich?x=1' },
    { method: 'HEAD' as const, url: '/rich?x=1' },
    { method: 'POST' as const, url: '/rich', payload: { hello: 'world' } }
  ]
  for (const options of cases) {
    const want = await plain.inject(options)
    const got = await gated.inject({ ...options, headers: { 'x-tier': 'plus' } })
    t.equal(got.statusCode, want.statusCode, options.method)
    t.same(withoutDate(got.headers), withoutDate(want.headers), options.method)
    t.equal(got.body, want.body, options.method)
  }
})

test('an allowed caller gets the handler response unchanged (real socket)', async (t) => {
  const plain = await richApp(false)
  const gated = await richApp(true)
  const plainAt = await listen(t, plain)
  const gatedAt = await listen(t, gated)
  for (const method of ['GET', 'HEAD'] as const) {
    const want = await undiciRequest(`${plainAt.origin}/rich?x=1`, { method })
    const got = await undiciRequest(`${gatedAt.origin}/rich?x=1`, { method, headers: { 'x-tier': 'enterprise' } })
    t.equal(got.statusCode, want.statusCode)
    t.same(withoutDate(got.headers), withoutDate(want.headers))
    t.equal(await got.body.text(), await want.body.text())
  }
})

test('real socket: refusals keep the connection usable', async (t) => {
  const { app, handler } = await build()
  const { origin } = await listen(t, app)
  const client = new Client(origin, { pipelining: 1 })
  t.teardown(() => client.close())
  const low = await client.request({ method: 'GET', path: '/plus', headers: { 'x-tier': 'free' } })
  t.equal(low.statusCode, 501)
  t.equal(low.headers['cache-control'], 'private, no-store')
  t.equal(low.headers.connection, 'keep-alive')
  t.same(await low.body.json(), tierRequiredBody())
  const high = await client.request({ method: 'GET', path: '/plus', headers: { 'x-tier': 'plus' } })
  t.equal(high.statusCode, 200)
  t.same(await high.body.json(), { ok: true })
  t.equal(handler.calls, 1)
})

test('the resolver runs once per gated request and never for anything else', async (t) => {
  const { app, resolver } = await build()
  app.post('/open', async () => 'posted')
  const ungated = [
    { method: 'GET' as const, url: '/open', status: 200 },
    { method: 'HEAD' as const, url: '/open', status: 200 },
    { method: 'POST' as const, url: '/open', status: 200 },
    { method: 'POST' as const, url: '/plus', status: 405 },
    { method: 'OPTIONS' as const, url: '/plus', status: 204 },
    { method: 'PROPFIND' as const, url: '/plus', status: 501 }, // no route has it
    { method: 'GET' as const, url: '/nowhere', status: 404 }
  ]
  for (const { status, ...options } of ungated) {
    const res = await app.inject({ ...options, headers: { 'x-tier': 'free' } })
    t.equal(res.statusCode, status, `${options.method} ${options.url}`)
  }
  t.equal(resolver.calls, 0)
  for (const tier of ['free', 'plus', undefined]) {
    await app.inject({ url: '/plus', headers: tier === undefined ? {} : { 'x-tier': tier } })
  }
  t.equal(resolver.calls, 3)
})

test('tier and feature on one route: the tier decides first, the flag second', async (t) => {
  const app = Fastify()
  const resolver = counted(tierFromHeader)
  const flags = counted((_feature: string, request: FastifyRequest) => request.headers['x-flag'] === 'on')
  const handler = counted(() => 'exported')
  await app.register(notImplemented, { tiers, resolveTier: resolver, isFeatureEnabled: flags })
  app.get('/export', { config: { tier: 'plus', feature: 'bulk-export' } }, async () => handler())

  const low = await app.inject({ url: '/export', headers: { 'x-tier': 'free', 'x-flag': 'on' } })
  t.equal(low.statusCode, 501)
  t.same(low.json(), tierRequiredBody())
  t.equal(flags.calls, 0)

  const off = await app.inject({ url: '/export', headers: { 'x-tier': 'plus', 'x-flag': 'off' } })
  t.equal(off.statusCode, 501)
  t.same(off.json(), featureDisabledBody())
  t.equal(off.headers['cache-control'], 'private, no-store')

  const on = await app.inject({ url: '/export', headers: { 'x-tier': 'enterprise', 'x-flag': 'on' } })
  t.equal(on.statusCode, 200)
  t.equal(on.body, 'exported')

  t.equal(handler.calls, 1)
  t.equal(resolver.calls, 3)
  t.equal(flags.calls, 2)
})

test('an app error handler formats refusals; status and Cache-Control survive', async (t) => {
  const app = Fastify()
  const seen: unknown[] = []
  await app.register(notImplemented, { tiers, resolveTier: tierFromHeader, tierRequiredStatus: 402 })
  app.setErrorHandler((error: Error & { code?: string, requiredTier?: string, statusCode?: number }, _request, reply) => {
    seen.push(error)
    reply.send({ failure: error.code, plan: error.requiredTier, status: reply.statusCode })
  })
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'in')
  const res = await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } })
  t.equal(res.statusCode, 402)
  t.same(res.json(), { failure: 'FST_TIER_REQUIRED', plan: 'plus', status: 402 })
  t.equal(res.headers['cache-control'], 'private, no-store')
  t.equal(seen.length, 1)
  t.ok(seen[0] instanceof notImplemented.errors.FST_TIER_REQUIRED)
  t.same((seen[0] as { headers: unknown }).headers, { 'cache-control': 'private, no-store' })
})

test('an app error handler that only re-sends still gets every header', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, { tiers, resolveTier: tierFromHeader, vary: 'Authorization', cacheControl: { FST_TIER_REQUIRED: 'private, max-age=60' } })
  app.register(async (child) => {
    child.setErrorHandler(async (error, _request, reply) => {
      reply.header('x-handled', 'child')
      return error
    })
    child.get('/plus', { config: { tier: 'plus' } }, async () => 'in')
  })
  const res = await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } })
  t.equal(res.statusCode, 501)
  t.equal(res.headers['x-handled'], 'child')
  t.equal(res.headers['cache-control'], 'private, max-age=60')
  t.equal(res.headers.vary, 'Authorization')
  t.equal(res.json().code, 'FST_TIER_REQUIRED')
})

test('a gated route under a prefix is gated with and without the trailing slash', async (t) => {
  const app = Fastify()
  const handler = counted(() => 'v1')
  await app.register(notImplemented, { tiers, resolveTier: tierFromHeader })
  await app.register(async (child) => {
    child.get('/', { config: { tier: 'plus' } }, async () => handler())
  }, { prefix: '/v1' })
  for (const url of ['/v1', '/v1/']) {
    const res = await app.inject({ url, headers: { 'x-tier': 'free' } })
    t.equal(res.statusCode, 501, url)
    t.equal(res.json().code, 'FST_TIER_REQUIRED')
  }
  t.equal(handler.calls, 0)
  t.equal((await app.inject({ url: '/v1/', headers: { 'x-tier': 'plus' } })).body, 'v1')
})
