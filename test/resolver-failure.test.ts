import { test, type Test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { request as undiciRequest } from 'undici'
import notImplemented = require('..')
import { tierUnavailableBody } from './helpers/bodies'
import { counted, holdEventLoop, logCapture, tierFromHeader, tiers, WARN } from './helpers/gating'
import { listen } from './helpers/http'

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

const never = <T>(): Promise<T> => new Promise<T>(() => {})

async function build (options: Options): Promise<{ app: FastifyInstance, handler: ReturnType<typeof counted<[], unknown>>, logs: ReturnType<typeof logCapture> }> {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  const handler = counted(() => 'never')
  await app.register(notImplemented, { tiers, resolverTimeout: 50, isFeatureEnabled: () => true, ...options })
  app.get('/plus', { config: { tier: 'plus' } }, async () => handler())
  app.get('/export', { config: { feature: 'bulk-export' } }, async () => handler())
  app.get('/both', { config: { tier: 'free', feature: 'bulk-export' } }, async () => handler())
  return { app, handler, logs }
}

// A null-prototype object has no toString: even describing it must not throw.
const bare = Object.create(null) as object
const circular: Record<string, unknown> = { name: 'loop' }
circular.self = circular
const badThen = { get then () { throw new Error('then getter exploded') } }

// Each way the tier resolver can fail, with the text the warn line must carry.
const tierFailures: Array<[string, () => unknown, RegExp]> = [
  ['throws', () => { throw new Error('db down') }, /db down/],
  ['throws a non-Error', () => { throw 'plain string' }, /threw a string of 12 characters/], // eslint-disable-line no-throw-literal
  ['rejects', () => Promise.reject(new Error('db rejected')), /db rejected/],
  ['rejects with a bare object', () => Promise.reject(bare), /threw an object$/],
  ['hangs past resolverTimeout', () => never(), /no answer within 50 ms/],
  ['returns a tier not in tiers', () => 'gold', /returned a string of 4 characters, which is not one of the tiers \(free, plus, enterprise\)/],
  ['resolves a tier not in tiers', async () => 'gold', /returned a string of 4 characters, which is not one of the tiers/],
  ['returns an empty string', () => '', /not one of the tiers/],
  ['returns a number', () => 2, /returned a number, which is not one of the tiers/],
  ['returns an object', () => ({ tier: 'plus' }), /returned an object with keys tier, which is not one of the tiers/],
  ['returns a circular object', () => circular, /not one of the tiers/],
  ['returns a bigint', () => 10n, /returned a bigint, which is not one of the tiers/],
  ['resolves a bigint', async () => 10n, /returned a bigint, which is not one of the tiers/],
  ['returns a thenable whose then getter throws', () => badThen, /then getter exploded/],
  ['returns a thenable that throws', () => ({ then () { throw new Error('then exploded') } }), /then exploded/]
]

// Each way the flag source can fail.
const featureFailures: Array<[string, () => unknown, RegExp]> = [
  ['throws', () => { throw new Error('flags down') }, /flags down/],
  ['rejects', () => Promise.reject(new Error('flags rejected')), /flags rejected/],
  ['hangs past resolverTimeout', () => never(), /no answer within 50 ms/],
  ['returns a string', () => 'true', /isFeatureEnabled\("bulk-export"\) returned a string of 4 characters, not a boolean/],
  ['returns undefined', () => undefined, /returned undefined, not a boolean/],
  ['returns 1', () => 1, /returned a number, not a boolean/],
  ['resolves null', async () => null, /returned null, not a boolean/],
  ['returns a bigint', () => 1n, /returned a bigint, not a boolean/]
]

function checkUnavailable (t: Test, res: { statusCode: number, headers: Record<string, unknown>, json: () => unknown }, retryAfter = '5'): void {
  t.equal(res.statusCode, 503)
  t.same(res.json(), tierUnavailableBody)
  t.equal(res.headers['retry-after'], retryAfter)
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers.vary, undefined)
}

function checkOneWarn (t: Test, logs: ReturnType<typeof logCapture>, cause: RegExp, route: string): void {
  const warns = logs.at(WARN)
  t.equal(warns.length, 1, 'exactly one warn line')
  t.equal(logs.atLeast(WARN).length, 1, 'nothing logged above warn')
  t.match(warns[0].msg, /^The caller's plan could not be determined: /)
  t.match(warns[0].msg, cause)
  t.match(warns[0], { notImplemented: { code: 'FST_TIER_UNAVAILABLE', method: 'GET', route } })
  t.ok(warns[0].err !== undefined, 'the cause is logged as err')
}

for (const [label, resolveTier, cause] of tierFailures) {
  test(`resolveTier ${label}: 503, Retry-After, no-store, one warn line, handler never runs`, async (t) => {
    holdEventLoop(t)
    const { app, handler, logs } = await build({ resolveTier: resolveTier as Options['resolveTier'] })
    const res = await app.inject({ url: '/plus' })
    checkUnavailable(t, res)
    t.equal(handler.calls, 0)
    checkOneWarn(t, logs, cause, '/plus')
  })
}

for (const [label, isFeatureEnabled, cause] of featureFailures) {
  test(`isFeatureEnabled ${label}: 503, Retry-After, no-store, one warn line, handler never runs`, async (t) => {
    holdEventLoop(t)
    const { app, handler, logs } = await build({ resolveTier: () => 'free', isFeatureEnabled: isFeatureEnabled as Options['isFeatureEnabled'] })
    for (const url of ['/export', '/both']) {
      logs.lines.length = 0
      const res = await app.inject({ url })
      checkUnavailable(t, res)
      checkOneWarn(t, logs, cause, url)
    }
    t.equal(handler.calls, 0)
  })
}

test('the error cause is logged as a serialised error', async (t) => {
  const { app, logs } = await build({ resolveTier: () => { throw new RangeError('quota service timeout') } })
  await app.inject({ url: '/plus' })
  t.match(logs.at(WARN)[0].err, { type: 'RangeError', message: 'quota service timeout', stack: /RangeError/ })
})

test('retryAfter sets Retry-After', async (t) => {
  const { app } = await build({ resolveTier: () => 'gold', retryAfter: 120 })
  checkUnavailable(t, await app.inject({ url: '/plus' }), '120')
})

test('the timeout answers after resolverTimeout, not before and not much later', async (t) => {
  holdEventLoop(t)
  const { app } = await build({ resolveTier: () => never(), resolverTimeout: 200 })
  const started = Date.now()
  const res = await app.inject({ url: '/plus' })
  const took = Date.now() - started
  t.equal(res.statusCode, 503)
  t.ok(took >= 190, `took ${took} ms`)
  t.ok(took < 1000, `took ${took} ms`)
})

test('a slow resolver that answers within the timeout is waited for', async (t) => {
  const { app, handler } = await build({
    resolverTimeout: 500,
    resolveTier: (request) => new Promise((resolve) => setTimeout(resolve, 30, tierFromHeader(request)))
  })
  const res = await app.inject({ url: '/plus', headers: { 'x-tier': 'plus' } })
  t.equal(res.statusCode, 200)
  t.equal(handler.calls, 1)
})

test('an answer that comes after the timeout changes nothing', async (t) => {
  const late: Array<() => void> = []
  const { app, handler, logs } = await build({
    resolveTier: () => new Promise<string>((resolve) => { late.push(() => resolve('enterprise')) })
  })
  const { origin } = await listen(t, app)
  const res = await undiciRequest(`${origin}/plus`)
  t.equal(res.statusCode, 503)
  await res.body.dump()
  late[0]()
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(handler.calls, 0)
  t.equal(logs.atLeast(WARN).length, 1)
})

test('recovery: the next request after the dependency comes back is allowed (real socket)', async (t) => {
  let up = false
  const resolver = counted(async (request: FastifyRequest) => {
    if (!up) throw new Error('tier service unreachable')
    return tierFromHeader(request)
  })
  const flagsUp = { value: false }
  const { app, handler, logs } = await build({
    resolveTier: resolver,
    isFeatureEnabled: () => {
      if (!flagsUp.value) return never<boolean>()
      return true
    }
  })
  const { origin } = await listen(t, app)
  const headers = { 'x-tier': 'plus' }

  const down = await undiciRequest(`${origin}/plus`, { headers })
  t.equal(down.statusCode, 503)
  t.equal(down.headers['retry-after'], '5')
  t.equal(down.headers['cache-control'], 'no-store')
  t.same(await down.body.json(), tierUnavailableBody)

  up = true
  const back = await undiciRequest(`${origin}/plus`, { headers })
  t.equal(back.statusCode, 200)
  t.equal(await back.body.text(), 'never')

  const hung = await undiciRequest(`${origin}/both`, { headers })
  t.equal(hung.statusCode, 503)
  t.equal(hung.headers['retry-after'], '5')
  await hung.body.dump()
  flagsUp.value = true
  const flagsBack = await undiciRequest(`${origin}/both`, { headers })
  t.equal(flagsBack.statusCode, 200)

  t.equal(handler.calls, 2)
  t.equal(resolver.calls, 4)
  t.equal(logs.at(WARN).length, 2)
})

test('closing the server lets a request stuck on the resolver finish with 503', async (t) => {
  let entered = (): void => {}
  const asked = new Promise<void>((resolve) => { entered = resolve })
  const { app, handler } = await build({ resolveTier: () => { entered(); return never() }, resolverTimeout: 100 })
  const { origin } = await listen(t, app)
  // reset: the client does not keep the connection open, so close has nothing to wait for.
  const pending = undiciRequest(`${origin}/plus`, { reset: true })
  await asked
  const closed = app.close()
  const res = await pending
  t.equal(res.statusCode, 503)
  t.same(await res.body.json(), tierUnavailableBody)
  await closed
  t.equal(handler.calls, 0)
})

test('an app error handler formats the 503; Retry-After and Cache-Control survive', async (t) => {
  holdEventLoop(t)
  const { app, logs } = await build({ resolveTier: () => never(), retryAfter: 9 })
  app.setErrorHandler((error: Error & { code?: string }, _request, reply) => {
    reply.send({ outage: error.code })
  })
  const res = await app.inject({ url: '/plus' })
  t.equal(res.statusCode, 503)
  t.same(res.json(), { outage: 'FST_TIER_UNAVAILABLE' })
  t.equal(res.headers['retry-after'], '9')
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(logs.at(WARN).length, 1)
})
