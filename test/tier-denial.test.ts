import { test, type Test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import notImplemented = require('..')
import { fastifyNotFound, tierRequiredBody } from './helpers/bodies'
import swagger from '@fastify/swagger'
import { counted, logCapture, tierFromHeader, tiers } from './helpers/gating'

// What a caller below the route's tier sees with `hideBelowTier` (the app's own 404, private
// to the caller; byte for byte where the app's 404s are private too, as the README advises)
// and with `upgradeUrl` (where to upgrade, in the body and a Link header).

type Options = NonNullable<Parameters<typeof notImplemented>[1]>
type NotFoundSetup = (app: FastifyInstance) => void

const defaultNotFound: NotFoundSetup = () => {}
const customNotFound: NotFoundSetup = (app) => {
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).header('x-not-found', 'custom').header('cache-control', 'private, no-store').type('text/plain').send(`nothing at ${request.url}`)
  })
}

// The one header in which the hidden 404 differs from Fastify's own: a shared cache must not
// store it (the README says how an app closes the difference).
const privateToCaller = { 'cache-control': 'private, no-store' }

// The same app with and without the gated route.
async function twins (t: Test, setUp: NotFoundSetup, options: Partial<Options> = {}): Promise<{ hidden: FastifyInstance, absent: FastifyInstance, handler: { calls: number } }> {
  const handler = counted(() => 'secret')
  const make = async (withRoute: boolean): Promise<FastifyInstance> => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(notImplemented, { tiers, resolveTier: tierFromHeader, hideBelowTier: true, ...options })
    setUp(app)
    app.get('/public', async () => 'public')
    if (withRoute) app.get('/reports/:id', { config: { tier: 'plus' } }, async () => handler())
    await app.ready()
    return app
  }
  return { hidden: await make(true), absent: await make(false), handler }
}

function withoutDate (headers: Record<string, unknown>): Record<string, unknown> {
  const { date, ...rest } = headers
  return rest
}

for (const [label, setUp] of [['Fastify\'s own 404', defaultNotFound], ['a custom setNotFoundHandler', customNotFound]] as const) {
  test(`hideBelowTier: a caller below the tier gets exactly ${label}, as for a path that does not exist`, async (t) => {
    const { hidden, absent, handler } = await twins(t, setUp)
    for (const held of [undefined, 'free']) {
      for (const method of ['GET', 'HEAD'] as const) {
        const headers = held === undefined ? {} : { 'x-tier': held }
        const denied = await hidden.inject({ method, url: '/reports/7?x=1', headers })
        const missing = await absent.inject({ method, url: '/reports/7?x=1', headers })
        t.equal(denied.statusCode, 404, `${method} as ${String(held)}: 404`)
        const expected = setUp === defaultNotFound ? { ...withoutDate(missing.headers), ...privateToCaller } : withoutDate(missing.headers)
        t.same(withoutDate(denied.headers), expected, `${method} as ${String(held)}: the same headers, private to the caller`)
        t.equal(denied.body, missing.body, `${method} as ${String(held)}: the same bytes`)
      }
    }
    const allowed = await hidden.inject({ url: '/reports/7', headers: { 'x-tier': 'plus' } })
    t.equal(allowed.statusCode, 200)
    t.equal(allowed.body, 'secret')
    t.equal(handler.calls, 1, 'the handler ran for the caller on the plan alone')
  })
}

test('hideBelowTier: the 404 is Fastify\'s own body for the request', async (t) => {
  const { hidden } = await twins(t, defaultNotFound)
  const res = await hidden.inject({ url: '/reports/7', headers: { 'x-tier': 'free' } })
  t.same(res.json(), fastifyNotFound('GET', '/reports/7'))
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(res.headers['cache-control'], 'private, no-store', 'private to the caller: a shared cache would refuse the route to a caller on the plan')
})

test('hideBelowTier: the log line and the decision still say why, with the status the caller got', async (t) => {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  t.teardown(() => app.close())
  await app.register(notImplemented, { tiers, resolveTier: tierFromHeader, hideBelowTier: true })
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'secret')
  await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } })
  const line = logs.lines.find((entry) => entry.notImplemented !== undefined)
  t.match(line, { notImplemented: { code: 'FST_TIER_REQUIRED', statusCode: 404, tierHeld: 'free', tierRequired: 'plus' } })
})

test('hideBelowTier: a failing resolver still answers 503, fail closed', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(notImplemented, { tiers, resolveTier: () => { throw new Error('down') }, hideBelowTier: true })
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'secret')
  const res = await app.inject({ url: '/plus' })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '5')
})

async function gated (t: Test, options: Partial<Options>): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(notImplemented, { tiers, resolveTier: tierFromHeader, ...options })
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'secret')
  app.get('/enterprise', { config: { tier: 'enterprise' } }, async () => 'secret')
  return app
}

test('upgradeUrl as a string: body field upgradeUrl and Link rel="payment" on every tier denial', async (t) => {
  const app = await gated(t, { upgradeUrl: 'https://example.com/billing?from=api' })
  const res = await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } })
  t.equal(res.statusCode, 501)
  t.same(res.json(), { ...tierRequiredBody('plus'), upgradeUrl: 'https://example.com/billing?from=api' })
  t.equal(res.headers.link, '<https://example.com/billing?from=api>; rel="payment"')
  t.equal(res.headers['cache-control'], 'private, no-store')
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  const allowed = await app.inject({ url: '/plus', headers: { 'x-tier': 'plus' } })
  t.equal(allowed.statusCode, 200)
  t.equal(allowed.headers.link, undefined, 'no link where the caller is on the plan')
})

test('upgradeUrl as a function: per required tier and request; undefined adds nothing', async (t) => {
  const upgradeUrl = counted((tier: string, request: FastifyRequest) => tier === 'enterprise' ? undefined : `/billing/upgrade?to=${tier}&route=${encodeURIComponent(request.url)}`)
  const app = await gated(t, { upgradeUrl, tierRequiredStatus: 402, exposeRequiredTier: false })
  const res = await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } })
  t.equal(res.statusCode, 402)
  t.same(res.json(), { statusCode: 402, code: 'FST_TIER_REQUIRED', error: 'Payment Required', message: 'This endpoint is not available on the current plan', upgradeUrl: '/billing/upgrade?to=plus&route=%2Fplus' })
  t.equal(res.headers.link, '</billing/upgrade?to=plus&route=%2Fplus>; rel="payment"')
  const enterprise = await app.inject({ url: '/enterprise', headers: { 'x-tier': 'free' } })
  t.equal(enterprise.statusCode, 402)
  t.notOk('upgradeUrl' in enterprise.json())
  t.equal(enterprise.headers.link, undefined)
  t.equal(upgradeUrl.calls, 2)
})

test('upgradeUrl: a function that throws or returns no URL leaves the denial as it is', async (t) => {
  for (const upgradeUrl of [() => { throw new Error('billing link broke') }, () => 'has a space', () => 42, () => '']) {
    const app = await gated(t, { upgradeUrl: upgradeUrl as Options['upgradeUrl'] })
    const res = await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } })
    t.equal(res.statusCode, 501)
    t.same(res.json(), tierRequiredBody('plus'))
    t.equal(res.headers.link, undefined)
  }
})

test('upgradeUrl with an app error handler: the error carries upgradeUrl and the Link header survives', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(notImplemented, { tiers, resolveTier: tierFromHeader, upgradeUrl: '/billing' })
  app.setErrorHandler((error: Error & { upgradeUrl?: string, statusCode?: number }, _request, reply) => {
    reply.code(error.statusCode ?? 500).send({ upgrade: error.upgradeUrl })
  })
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'secret')
  const res = await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } })
  t.equal(res.statusCode, 501)
  t.same(res.json(), { upgrade: '/billing' })
  t.equal(res.headers.link, '</billing>; rel="payment"')
})

test('hideBelowTier: the README\'s way to close Allow and OPTIONS makes every method at the path answer like a path that does not exist', async (t) => {
  const make = async (withRoutes: boolean): Promise<FastifyInstance> => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(notImplemented, { tiers, resolveTier: tierFromHeader, hideBelowTier: true })
    // The same methods answer elsewhere in both apps: what differs is /reports alone.
    app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/elsewhere', handler: async () => 'elsewhere' })
    if (withRoutes) {
      app.get('/reports', { config: { tier: 'plus' } }, async () => 'secret')
      app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/reports', config: { tier: 'plus' }, handler: (_request, reply) => reply.callNotFound() })
    }
    await app.ready()
    return app
  }
  const hidden = await make(true)
  const absent = await make(false)
  for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
    const denied = await hidden.inject({ method, url: '/reports', headers: { 'x-tier': 'free' } })
    const missing = await absent.inject({ method, url: '/reports', headers: { 'x-tier': 'free' } })
    t.equal(denied.statusCode, 404, `${method}: 404`)
    t.equal(denied.headers.allow, undefined, `${method}: no Allow`)
    t.same(withoutDate(denied.headers), { ...withoutDate(missing.headers), ...privateToCaller }, `${method}: the same headers, private to the caller`)
    t.equal(denied.body, missing.body, `${method}: the same bytes`)
  }
  t.equal((await hidden.inject({ url: '/reports', headers: { 'x-tier': 'plus' } })).body, 'secret')
})

test('hideBelowTier: the OpenAPI document names neither the tier nor a denial the route never gives', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'hidden', version: '1.0.0' } } })
  await app.register(notImplemented, { tiers, resolveTier: tierFromHeader, hideBelowTier: true })
  app.get('/reports', { config: { tier: 'plus' } }, async () => 'secret')
  await app.ready()
  const operation = (app.swagger() as unknown as { paths: Record<string, Record<string, Record<string, unknown>>> }).paths['/reports'].get
  t.equal(operation['x-tier'], undefined)
  t.same(Object.keys(operation.responses as object).sort(), ['200', '503'], 'the route\'s own 200 and the 503 of a failing resolver, no 501')
})
