import { test, type Test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import notImplemented = require('..')
import { tierRequiredBody, tierUnavailableBody } from './helpers/bodies'
import { counted, holdEventLoop, logCapture, tiers, WARN, type LogCapture } from './helpers/gating'

// The entitlement cache on one instance: what a caller sees while the resolver answers,
// fails and recovers, and how often the resolver is asked. Time is the cache's own clock,
// set by the tests (dist/tier-cache.js reads it on every request).
const { clock, outageRetryInterval } = require('../dist/tier-cache.js') as typeof import('../lib/tier-cache')

type Options = NonNullable<Parameters<typeof notImplemented>[1]>
type Resolver = (request: FastifyRequest) => unknown

const never = <T>(): Promise<T> => new Promise<T>(() => {})

// A settable clock, restored after the test.
function fakeClock (t: Test, start = 1_000_000): { now: number } {
  const time = { now: start }
  const real = clock.now
  clock.now = () => time.now
  t.teardown(() => { clock.now = real })
  return time
}

// The tenant is the `x-tenant` header; the resolver's answer is whatever `plan` holds now.
const tenantKey = (request: FastifyRequest): string | undefined => request.headers['x-tenant'] as string | undefined

interface Built {
  app: FastifyInstance
  resolver: ReturnType<typeof counted<[FastifyRequest], unknown>>
  handler: ReturnType<typeof counted<[], unknown>>
  logs: LogCapture
}

async function build (t: Test, resolve: Resolver, options: Partial<Options> = {}, cache: Record<string, unknown> = {}): Promise<Built> {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  t.teardown(() => app.close())
  const resolver = counted(resolve)
  const handler = counted(() => 'served')
  await app.register(notImplemented, {
    tiers,
    resolveTier: resolver as Options['resolveTier'],
    resolverTimeout: 50,
    isFeatureEnabled: (feature, request) => request.headers['x-flags'] === feature,
    tierCache: { key: tenantKey, ttl: 1000, staleIfError: 5000, ...cache } as Options['tierCache'],
    ...options
  })
  app.get('/plus', { config: { tier: 'plus' } }, async () => handler())
  app.get('/export', { config: { feature: 'bulk-export' } }, async () => handler())
  return { app, resolver, handler, logs }
}

const asTenant = (tenant: string | undefined, url = '/plus'): { url: string, headers: Record<string, string> } =>
  ({ url, headers: tenant === undefined ? {} : { 'x-tenant': tenant } })

function checkServed (t: Test, res: { statusCode: number, body: string }, message = 'served'): void {
  t.equal(res.statusCode, 200, message)
  t.equal(res.body, 'served', message)
}

function checkUnavailable (t: Test, res: { statusCode: number, headers: Record<string, unknown>, json: () => unknown }): void {
  t.equal(res.statusCode, 503)
  t.same(res.json(), tierUnavailableBody)
  t.equal(res.headers['retry-after'], '5')
  t.equal(res.headers['cache-control'], 'no-store')
}

test('a tier resolved for a tenant answers its requests for ttl without asking the resolver again', async (t) => {
  const time = fakeClock(t)
  let plan = 'plus'
  const { app, resolver, handler } = await build(t, () => plan)
  checkServed(t, await app.inject(asTenant('acme')))
  plan = 'free'
  time.now += 999
  checkServed(t, await app.inject(asTenant('acme')), 'still the cached plus, 999 ms later')
  t.equal(resolver.calls, 1, 'one resolver call')
  time.now += 1
  const res = await app.inject(asTenant('acme'))
  t.equal(res.statusCode, 501, 'at ttl the resolver is asked again, and says free')
  t.same(res.json(), tierRequiredBody('plus'))
  t.equal(res.headers['cache-control'], 'private, no-store')
  t.equal(resolver.calls, 2)
  t.equal(handler.calls, 2)
})

test('each tenant has its own entry; a request whose key is undefined is never cached', async (t) => {
  fakeClock(t)
  const { app, resolver } = await build(t, (request) => request.headers['x-tenant'] === 'acme' ? 'plus' : 'free')
  checkServed(t, await app.inject(asTenant('acme')))
  t.equal((await app.inject(asTenant('globex'))).statusCode, 501)
  checkServed(t, await app.inject(asTenant('acme')))
  t.equal((await app.inject(asTenant('globex'))).statusCode, 501)
  t.equal(resolver.calls, 2, 'one call per tenant')
  t.equal((await app.inject(asTenant(undefined))).statusCode, 501)
  t.equal((await app.inject(asTenant(undefined))).statusCode, 501)
  t.equal(resolver.calls, 4, 'no key: the resolver is asked on every request')
})

test('a request with no key still gets the resolver\'s timeout: 503 when it hangs', async (t) => {
  holdEventLoop(t)
  const { app } = await build(t, () => never())
  checkUnavailable(t, await app.inject(asTenant(undefined)))
})

test('a request with no key gets what an async resolver answers', async (t) => {
  const { app } = await build(t, async () => 'enterprise')
  checkServed(t, await app.inject(asTenant(undefined)))
})

test('no tenant and no plan: undefined from the resolver is cached as "no plan"', async (t) => {
  fakeClock(t)
  const { app, resolver, handler } = await build(t, () => undefined)
  t.equal((await app.inject(asTenant('acme'))).statusCode, 501)
  t.equal((await app.inject(asTenant('acme'))).statusCode, 501)
  t.equal(resolver.calls, 1)
  t.equal(handler.calls, 0)
})

test('1000 concurrent first requests for one tenant make one resolver call and all get its answer', async (t) => {
  let release: (tier: string) => void = () => {}
  const { app, resolver, handler } = await build(t, () => new Promise((resolve) => { release = resolve }), { resolverTimeout: 5000 })
  const pending = Array.from({ length: 1000 }, () => app.inject(asTenant('acme')))
  await new Promise((resolve) => setTimeout(resolve, 50))
  release('plus')
  const answers = await Promise.all(pending)
  t.equal(resolver.calls, 1, 'one call')
  t.equal(answers.filter((res) => res.statusCode === 200).length, 1000, 'all 1000 served')
  t.equal(handler.calls, 1000)
})

test('1000 concurrent first requests for one tenant fail closed together when the one call fails', async (t) => {
  let fail: (error: Error) => void = () => {}
  const { app, resolver, handler, logs } = await build(t, () => new Promise((_resolve, reject) => { fail = reject }), { resolverTimeout: 5000 })
  const pending = Array.from({ length: 1000 }, () => app.inject(asTenant('acme')))
  await new Promise((resolve) => setTimeout(resolve, 50))
  fail(new Error('billing down'))
  const answers = await Promise.all(pending)
  t.equal(resolver.calls, 1, 'one call')
  t.equal(answers.filter((res) => res.statusCode === 503 && res.headers['retry-after'] === '5').length, 1000, 'all 1000 answered 503 with Retry-After')
  t.equal(handler.calls, 0, 'the handler never ran')
  t.match(logs.at(WARN)[0].msg, /billing down/)
})

// Each way the resolver can fail, once a tier is cached.
const failures: Array<[string, () => unknown, RegExp]> = [
  ['throws', () => { throw new Error('db down') }, /db down/],
  ['rejects', () => Promise.reject(new Error('db rejected')), /db rejected/],
  ['hangs past resolverTimeout', () => never(), /no answer within 50 ms/],
  ['returns a tier not in tiers', () => 'gold', /returned a string of 4 characters, which is not one of the tiers \(free, plus, enterprise\)/],
  ['resolves a number', async () => 2, /returned a number, which is not one of the tiers/]
]

for (const [label, failing, cause] of failures) {
  test(`while resolveTier ${label}, a tier cached within ttl + staleIfError answers, with one warn line per tenant; past it, 503`, async (t) => {
    holdEventLoop(t)
    const time = fakeClock(t)
    let resolve: () => unknown = () => 'plus'
    const { app, resolver, handler, logs } = await build(t, () => resolve())
    checkServed(t, await app.inject(asTenant('acme')))
    checkServed(t, await app.inject(asTenant('globex')))
    resolve = failing
    time.now += 1000
    checkServed(t, await app.inject(asTenant('acme')), 'the failed refresh falls back to the cached tier')
    t.equal(resolver.calls, 3)
    for (let i = 0; i < 20; i++) checkServed(t, await app.inject(asTenant('acme')), 'the next requests are answered from the stale tier at once')
    t.equal(resolver.calls, 3, 'no new call within the retry interval')
    checkServed(t, await app.inject(asTenant('globex')))
    const warns = logs.at(WARN)
    t.equal(warns.length, 2, 'one warn line per tenant')
    t.match(warns[0], { notImplemented: { tenant: 'acme', tier: 'plus', age: 1000 } })
    t.match(warns[0].msg, cause)
    t.match(warns[1], { notImplemented: { tenant: 'globex', tier: 'plus' } })

    time.now += outageRetryInterval
    checkServed(t, await app.inject(asTenant('acme')), 'a later request still answers at once, and asks again in the background')
    await new Promise((resolve) => setTimeout(resolve, 80))
    t.equal(resolver.calls, 5, 'one background call per tenant per interval')
    t.equal(logs.at(WARN).length, 2, 'still one line per tenant for the whole outage')

    time.now = 1_000_000 + 1000 + 5000 - 1
    checkServed(t, await app.inject(asTenant('acme')), 'the last ms of the window')
    time.now += 1
    const res = await app.inject(asTenant('acme'))
    checkUnavailable(t, res)
    t.equal(handler.calls, 26)
  })
}

test('the outage ends when the resolver answers again; the next outage warns again', async (t) => {
  const time = fakeClock(t)
  let resolve: () => unknown = () => 'plus'
  const { app, resolver, logs } = await build(t, () => resolve())
  await app.inject(asTenant('acme'))
  resolve = () => { throw new Error('down') }
  time.now += 1000
  checkServed(t, await app.inject(asTenant('acme')))
  resolve = () => 'free'
  time.now += outageRetryInterval
  checkServed(t, await app.inject(asTenant('acme')), 'the stale tier answers while the background call runs')
  await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal((await app.inject(asTenant('acme'))).statusCode, 501, 'then the new tier answers')
  t.equal(resolver.calls, 3)
  resolve = () => { throw new Error('down again') }
  time.now += 1000
  t.equal((await app.inject(asTenant('acme'))).statusCode, 501, 'the cached free answers through the second outage')
  const warns = logs.at(WARN)
  t.equal(warns.length, 2, 'a second outage, a second line')
  t.match(warns[1].msg, /down again/)
})

test('a stale tier is not served while the resolver works: the request waits for the new answer', async (t) => {
  const time = fakeClock(t)
  let plan = 'plus'
  const { app, resolver } = await build(t, async () => plan)
  checkServed(t, await app.inject(asTenant('acme')))
  plan = 'free'
  time.now += 1000
  t.equal((await app.inject(asTenant('acme'))).statusCode, 501, 'a downgrade shows at ttl')
  t.equal(resolver.calls, 2)
})

test('staleIfError: 0 keeps no tier past ttl when the resolver fails', async (t) => {
  const time = fakeClock(t)
  let resolve: () => unknown = () => 'plus'
  const { app } = await build(t, () => resolve(), {}, { staleIfError: 0 })
  checkServed(t, await app.inject(asTenant('acme')))
  resolve = () => { throw new Error('down') }
  time.now += 1000
  checkUnavailable(t, await app.inject(asTenant('acme')))
})

test('a cold tenant during an outage gets 503, as without the cache', async (t) => {
  const { app, handler } = await build(t, () => { throw new Error('down') })
  checkUnavailable(t, await app.inject(asTenant('acme')))
  checkUnavailable(t, await app.inject(asTenant('acme')))
  t.equal(handler.calls, 0)
})

test('invalidateTier: the next request for that tenant asks the resolver again, before ttl', async (t) => {
  fakeClock(t)
  let plan = 'free'
  const { app, resolver } = await build(t, () => plan)
  t.equal((await app.inject(asTenant('acme'))).statusCode, 501)
  plan = 'enterprise'
  t.equal((await app.inject(asTenant('acme'))).statusCode, 501, 'cached free')
  t.equal(await app.invalidateTier('acme'), undefined)
  checkServed(t, await app.inject(asTenant('acme')), 'the upgrade shows at once')
  t.equal(resolver.calls, 2)
  await app.invalidateTier('nobody')
  t.equal(resolver.calls, 2, 'forgetting an unknown tenant asks nothing')
})

test('an answer on its way when the tenant is invalidated goes to the requests that waited, and is not kept', async (t) => {
  fakeClock(t)
  const releases: Array<(tier: string) => void> = []
  const { app, resolver } = await build(t, () => new Promise((resolve) => { releases.push(resolve) }), { resolverTimeout: 5000 })
  const before = app.inject(asTenant('acme'))
  await new Promise((resolve) => setTimeout(resolve, 20))
  await app.invalidateTier('acme')
  const after = app.inject(asTenant('acme'))
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(resolver.calls, 2, 'a request after the invalidation does not join the old call')
  releases[0]('plus')
  checkServed(t, await before, 'the old answer to the request that came before')
  releases[1]('free')
  t.equal((await after).statusCode, 501, 'the new answer to the one after')
  t.equal((await app.inject(asTenant('acme'))).statusCode, 501, 'and the new answer is what is kept')
  t.equal(resolver.calls, 2)
})

test('invalidating a tenant during an outage leaves it no stale tier: 503, fail closed', async (t) => {
  const time = fakeClock(t)
  let resolve: () => unknown = () => 'plus'
  const { app } = await build(t, () => resolve())
  await app.inject(asTenant('acme'))
  resolve = () => { throw new Error('down') }
  await app.invalidateTier('acme')
  time.now += 10
  checkUnavailable(t, await app.inject(asTenant('acme')))
})

test('an answer that fails after its tenant was invalidated and asked again keeps the new tier', async (t) => {
  fakeClock(t)
  const calls: Array<{ resolve: (tier: string) => void, reject: (error: Error) => void }> = []
  const { app } = await build(t, () => new Promise((resolve, reject) => { calls.push({ resolve, reject }) }), { resolverTimeout: 5000 })
  const first = app.inject(asTenant('acme'))
  await new Promise((resolve) => setTimeout(resolve, 20))
  await app.invalidateTier('acme')
  const second = app.inject(asTenant('acme'))
  await new Promise((resolve) => setTimeout(resolve, 20))
  calls[1].resolve('plus')
  checkServed(t, await second)
  calls[0].reject(new Error('late failure'))
  checkServed(t, await first, 'the failed old call falls back to the tier now cached')
})

test('max: the least recently used tenant is dropped first', async (t) => {
  fakeClock(t)
  const { app, resolver } = await build(t, () => 'plus', {}, { max: 2 })
  await app.inject(asTenant('a'))
  await app.inject(asTenant('b'))
  await app.inject(asTenant('a'))
  await app.inject(asTenant('c'))
  t.equal(resolver.calls, 3)
  await app.inject(asTenant('a'))
  t.equal(resolver.calls, 3, 'a was used more recently than b, and kept')
  await app.inject(asTenant('b'))
  t.equal(resolver.calls, 4, 'b was dropped')
})

test('max: the least recently used tenant goes first, however the reads come', async (t) => {
  fakeClock(t)
  const { app, resolver } = await build(t, () => 'plus', {}, { max: 4 })
  for (const tenant of ['a', 'b', 'c', 'd']) await app.inject(asTenant(tenant))
  // a read twice in a row (the second read of the newest entry moves nothing), then c, then
  // a again: b is now the least recently used, then d.
  for (const tenant of ['a', 'a', 'c', 'a']) await app.inject(asTenant(tenant))
  t.equal(resolver.calls, 4, 'all cached')
  await app.inject(asTenant('e'))
  await app.inject(asTenant('f'))
  t.equal(resolver.calls, 6)
  for (const tenant of ['a', 'c', 'e', 'f']) await app.inject(asTenant(tenant))
  t.equal(resolver.calls, 6, 'a, c, e and f are kept')
  await app.inject(asTenant('b'))
  await app.inject(asTenant('d'))
  t.equal(resolver.calls, 8, 'b and d were dropped')
})

test('max: a tenant forgotten while it was the newest is cached again, and moves as before', async (t) => {
  fakeClock(t)
  const { app, resolver } = await build(t, () => 'plus', {}, { max: 2 })
  await app.inject(asTenant('a'))
  await app.invalidateTier('a')
  await app.inject(asTenant('b'))
  await app.inject(asTenant('a'))
  t.equal(resolver.calls, 3, 'a asked again after it was forgotten')
  await app.inject(asTenant('b'))
  await app.inject(asTenant('c'))
  await app.inject(asTenant('b'))
  t.equal(resolver.calls, 4, 'b, read after a, was kept; a was dropped')
  await app.inject(asTenant('a'))
  t.equal(resolver.calls, 5)
})

test('feature flags are not cached', async (t) => {
  fakeClock(t)
  const flags = counted((feature: string, request: FastifyRequest) => request.headers['x-flags'] === feature)
  const { app, resolver } = await build(t, () => 'plus', { isFeatureEnabled: flags })
  for (let i = 0; i < 3; i++) checkServed(t, await app.inject({ url: '/export', headers: { 'x-tenant': 'acme', 'x-flags': 'bulk-export' } }))
  t.equal((await app.inject({ url: '/export', headers: { 'x-tenant': 'acme' } })).statusCode, 501)
  t.equal(flags.calls, 4)
  t.equal(resolver.calls, 0, 'a route with no tier asks no tier')
})

test('a key function that throws or returns something other than a string fails closed with 503', async (t) => {
  for (const key of [() => { throw new Error('no tenant') }, () => 42]) {
    const { app, handler } = await build(t, () => 'plus', {}, { key })
    checkUnavailable(t, await app.inject(asTenant('acme')))
    t.equal(handler.calls, 0)
  }
})

test('invalidateTier takes a string; without tierCache it has nothing to forget', async (t) => {
  const { app } = await build(t, () => 'plus')
  await t.rejects(app.invalidateTier(42 as unknown as string), new TypeError('fastify-not-implemented: invalidateTier(key) takes the tenant key that tierCache.key returns, a string; got number'))
  const plain = Fastify()
  t.teardown(() => plain.close())
  await plain.register(notImplemented)
  await t.resolves(plain.invalidateTier('acme'))
})

test('a warn line that cannot be written does not change the answer', async (t) => {
  const time = fakeClock(t)
  let resolve: () => unknown = () => 'plus'
  const { app } = await build(t, () => resolve())
  await app.inject(asTenant('acme'))
  app.log.warn = () => { throw new Error('logger broke') }
  resolve = () => { throw new Error('down') }
  time.now += 1000
  checkServed(t, await app.inject(asTenant('acme')))
})

test('a flood of random tenants keeps at most max entries', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const { TierCache } = require('../dist/tier-cache.js') as typeof import('../lib/tier-cache')
  const { normalizeOptions } = require('../dist/options.js') as typeof import('../lib/options')
  const settings = normalizeOptions({ tiers, resolveTier: () => 'plus', tierCache: { key: (request: { id: string }) => request.id, max: 100 } })
  const cache = new TierCache(settings, app.log)
  for (let i = 0; i < 5000; i++) await cache.resolve({ id: `tenant-${i}` } as unknown as FastifyRequest)
  t.equal(cache.size, 100)
  cache.clear()
  t.equal(cache.size, 0)
})
