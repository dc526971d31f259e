import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { request as undiciRequest } from 'undici'
import { OpenFeature, InMemoryProvider, type Client, type Provider, type ResolutionDetails } from '@openfeature/server-sdk'
import notImplemented = require('..')
import { featureDisabledBody, tierUnavailableBody } from './helpers/bodies'
import { counted, holdEventLoop, logCapture, WARN } from './helpers/gating'
import { listen } from './helpers/http'

const { openFeatureFlags } = notImplemented

// Flags as a flag service would hold them: bulk-export is on for alice only.
const flags = {
  'bulk-export': {
    variants: { on: true, off: false },
    defaultVariant: 'off',
    disabled: false,
    contextEvaluator: (context: { targetingKey?: string }) => context.targetingKey === 'alice' ? 'on' : 'off'
  },
  'always-on': { variants: { on: true, off: false }, defaultVariant: 'on', disabled: false },
  'switched-off': { variants: { on: true, off: false }, defaultVariant: 'on', disabled: true },
  'not-a-boolean': { variants: { a: 'yes' }, defaultVariant: 'a', disabled: false },
  'from-default-context': {
    variants: { on: true, off: false },
    defaultVariant: 'off',
    disabled: false,
    contextEvaluator: (context: Record<string, unknown>) =>
      context.route === '/default-context' && context.method === 'GET' && context.ip === '127.0.0.1' ? 'on' : 'off'
  }
}

let domains = 0
// Each test gets its own domain, so providers never leak between tests.
async function clientWith (t: { teardown: (fn: () => unknown) => void }, provider: Provider, wait = true): Promise<Client> {
  const domain = `test-${++domains}`
  if (wait) await OpenFeature.setProviderAndWait(domain, provider)
  else OpenFeature.setProvider(domain, provider)
  t.teardown(() => OpenFeature.clearProviders())
  return OpenFeature.getClient(domain)
}

const byUser = { context: (request: { headers: Record<string, unknown> }) => ({ targetingKey: request.headers['x-user'] as string | undefined }) }

async function build (client: Client, options: Parameters<typeof openFeatureFlags>[1] = byUser): Promise<{ app: FastifyInstance, handler: ReturnType<typeof counted<[], unknown>>, logs: ReturnType<typeof logCapture> }> {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  const handler = counted(() => ({ exported: true }))
  await app.register(notImplemented, { isFeatureEnabled: openFeatureFlags(client, options), resolverTimeout: 100 })
  for (const feature of Object.keys(flags).concat('missing-flag')) {
    app.get(`/${feature}`, { config: { feature } }, async () => handler())
  }
  app.get('/export', { config: { feature: 'bulk-export' } }, async () => handler())
  app.get('/default-context', { config: { feature: 'from-default-context' } }, async () => handler())
  return { app, handler, logs }
}

test('openFeatureFlags is exported by the package', async (t) => {
  t.type(notImplemented.openFeatureFlags, 'function')
  t.equal(notImplemented.openFeatureFlags, openFeatureFlags)
})

test('a flag on or off per evaluation context (targetingKey from a header)', async (t) => {
  const { app, handler } = await build(await clientWith(t, new InMemoryProvider(flags)))
  const alice = await app.inject({ url: '/export', headers: { 'x-user': 'alice' } })
  t.equal(alice.statusCode, 200)
  t.same(alice.json(), { exported: true })

  const bob = await app.inject({ url: '/export', headers: { 'x-user': 'bob' } })
  t.equal(bob.statusCode, 501)
  t.same(bob.json(), featureDisabledBody())
  t.equal(bob.headers['cache-control'], 'private, no-store')

  const nobody = await app.inject({ url: '/export' })
  t.equal(nobody.statusCode, 501)
  t.equal(handler.calls, 1)
})

test('a static flag on, and a flag the provider has switched off', async (t) => {
  const { app } = await build(await clientWith(t, new InMemoryProvider(flags)))
  t.equal((await app.inject({ url: '/always-on' })).statusCode, 200)
  const off = await app.inject({ url: '/switched-off' })
  t.equal(off.statusCode, 501)
  t.equal(off.json().feature, 'switched-off')
})

test('a flag the provider does not know is off: 501 FST_FEATURE_DISABLED, no warning', async (t) => {
  const { app, handler, logs } = await build(await clientWith(t, new InMemoryProvider(flags)))
  const res = await app.inject({ url: '/missing-flag', headers: { 'x-user': 'alice' } })
  t.equal(res.statusCode, 501)
  t.same(res.json(), featureDisabledBody('missing-flag'))
  t.equal(res.headers['cache-control'], 'private, no-store')
  t.equal(handler.calls, 0)
  t.equal(logs.atLeast(WARN).length, 0)
})

test('a flag that is not a boolean cannot be evaluated: 503', async (t) => {
  const { app, handler, logs } = await build(await clientWith(t, new InMemoryProvider(flags)))
  const res = await app.inject({ url: '/not-a-boolean' })
  t.equal(res.statusCode, 503)
  t.same(res.json(), tierUnavailableBody)
  t.equal(res.headers['retry-after'], '5')
  t.equal(handler.calls, 0)
  const warns = logs.at(WARN)
  t.equal(warns.length, 1)
  t.match(warns[0].msg, /feature flag "not-a-boolean" could not be evaluated: TYPE_MISMATCH$/)
})

// A provider whose initialisation never finishes: the SDK answers the default (false)
// with PROVIDER_NOT_READY, which the adapter turns into "cannot tell", not "off".
function neverReady (): Provider {
  return {
    metadata: { name: 'never-ready' },
    runsOn: 'server',
    initialize: () => new Promise<void>(() => {}),
    resolveBooleanEvaluation: async (): Promise<ResolutionDetails<boolean>> => ({ value: true }),
    resolveStringEvaluation: async (): Promise<ResolutionDetails<string>> => ({ value: '' }),
    resolveNumberEvaluation: async (): Promise<ResolutionDetails<number>> => ({ value: 0 }),
    resolveObjectEvaluation: async <T>(): Promise<ResolutionDetails<T>> => ({ value: {} as T })
  } as Provider
}

test('a provider that is not ready fails closed with 503 (inject and real socket)', async (t) => {
  holdEventLoop(t)
  const client = await clientWith(t, neverReady(), false)
  const { app, handler, logs } = await build(client)
  const res = await app.inject({ url: '/always-on', headers: { 'x-user': 'alice' } })
  t.equal(res.statusCode, 503)
  t.same(res.json(), tierUnavailableBody)
  t.equal(res.headers['retry-after'], '5')
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(handler.calls, 0)
  const warns = logs.at(WARN)
  t.equal(warns.length, 1)
  t.match(warns[0].msg, /could not be evaluated: PROVIDER_NOT_READY provider has not yet initialized/)

  const { origin } = await listen(t, app)
  const real = await undiciRequest(`${origin}/always-on`)
  t.equal(real.statusCode, 503)
  t.equal(real.headers['retry-after'], '5')
  t.same(await real.body.json(), tierUnavailableBody)
  t.equal(handler.calls, 0)
})

test('a provider set without waiting: 503 until it is ready, then the flag answers', async (t) => {
  let ready = (): void => {}
  const provider = new InMemoryProvider(flags)
  Object.assign(provider, { initialize: () => new Promise<void>((resolve) => { ready = resolve }) })
  const client = await clientWith(t, provider, false)
  const { app } = await build(client)
  const early = await app.inject({ url: '/export', headers: { 'x-user': 'alice' } })
  t.equal(early.statusCode, 503)
  ready()
  await new Promise((resolve) => setImmediate(resolve))
  const later = await app.inject({ url: '/export', headers: { 'x-user': 'alice' } })
  t.equal(later.statusCode, 200)
})

test('a provider that throws while evaluating fails closed', async (t) => {
  const provider = {
    ...neverReady(),
    initialize: undefined,
    resolveBooleanEvaluation: async () => { throw new Error('flag service 500') }
  } as unknown as Provider
  const { app, logs } = await build(await clientWith(t, provider))
  const res = await app.inject({ url: '/always-on' })
  t.equal(res.statusCode, 503)
  t.match(logs.at(WARN)[0].msg, /could not be evaluated: GENERAL flag service 500$/)
})

test('an evaluation context that throws fails closed', async (t) => {
  const client = await clientWith(t, new InMemoryProvider(flags))
  const { app, handler } = await build(client, { context: () => { throw new Error('no session') } })
  const res = await app.inject({ url: '/always-on' })
  t.equal(res.statusCode, 503)
  t.equal(handler.calls, 0)
})

test('with no context option the context holds ip, method and route', async (t) => {
  const client = await clientWith(t, new InMemoryProvider(flags))
  const { app } = await build(client, {})
  const { origin } = await listen(t, app)
  const res = await undiciRequest(`${origin}/default-context`)
  t.equal(res.statusCode, 200)
  t.same(await res.body.json(), { exported: true })
  const none = await build(client)
  t.equal((await none.app.inject({ url: '/default-context' })).statusCode, 501)
  const noOptions = Fastify()
  await noOptions.register(notImplemented, { isFeatureEnabled: openFeatureFlags(client) })
  noOptions.get('/default-context', { config: { feature: 'from-default-context' } }, async () => 'on')
  const at = await listen(t, noOptions)
  t.equal((await (await undiciRequest(`${at.origin}/default-context`)).body.text()), 'on')
})

test('bad arguments are refused at once', async (t) => {
  const client = await clientWith(t, new InMemoryProvider(flags))
  const notAClient = /^fastify-not-implemented: openFeatureFlags needs an OpenFeature client \(OpenFeature\.getClient\(\)\)$/
  for (const bad of [undefined, null, 'client', 42, {}, { getBooleanDetails: true }, { getBooleanValue: async () => true }]) {
    t.throws(() => openFeatureFlags(bad as unknown as Client), { name: 'TypeError', message: notAClient }, String(bad))
  }
  for (const context of ['targetingKey', 42, null, {}]) {
    t.throws(() => openFeatureFlags(client, { context } as never), {
      name: 'TypeError',
      message: 'fastify-not-implemented: openFeatureFlags option "context" must be a function'
    }, String(context))
  }
  t.throws(() => openFeatureFlags(client, 'options' as never), { name: 'TypeError', message: 'fastify-not-implemented: openFeatureFlags options must be an object, got string' })
  t.throws(() => openFeatureFlags(client, null as never), { name: 'TypeError', message: 'fastify-not-implemented: openFeatureFlags options must be an object, got null' })
})
