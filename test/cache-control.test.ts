import { test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { request } from 'undici'
import notImplemented = require('..')
import { listen } from './helpers/http'

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

function tierOf (request: FastifyRequest): string | undefined {
  if (request.headers['x-tier'] === 'broken') throw new Error('plan service down')
  return request.headers['x-tier'] as string | undefined
}

// One request per kind of answer the plugin makes.
const answers = [
  { name: 'method implemented nowhere', method: 'TRACE', path: '/users', status: 501, code: 'FST_METHOD_NOT_IMPLEMENTED' },
  { name: 'method not routed here', method: 'DELETE', path: '/users', status: 405, code: 'FST_METHOD_NOT_ALLOWED' },
  { name: 'automatic OPTIONS', method: 'OPTIONS', path: '/users', status: 204, code: 'OPTIONS' },
  { name: 'version not implemented', method: 'GET', path: '/report', headers: { 'accept-version': '9.x' }, status: 501, code: 'FST_VERSION_NOT_IMPLEMENTED' },
  { name: 'endpoint not implemented', method: 'GET', path: '/planned', status: 501, code: 'FST_ENDPOINT_NOT_IMPLEMENTED' },
  { name: 'endpoint gone', method: 'GET', path: '/retired', status: 410, code: 'FST_ENDPOINT_GONE' },
  { name: 'tier required', method: 'GET', path: '/plus', headers: { 'x-tier': 'free' }, status: 501, code: 'FST_TIER_REQUIRED' },
  { name: 'feature disabled', method: 'GET', path: '/beta', status: 501, code: 'FST_FEATURE_DISABLED' },
  { name: 'tier unavailable', method: 'GET', path: '/plus', headers: { 'x-tier': 'broken' }, status: 503, code: 'FST_TIER_UNAVAILABLE' }
] as const

async function build (options: Options = {}): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(notImplemented, {
    tiers: ['free', 'plus'],
    resolveTier: tierOf,
    isFeatureEnabled: () => false,
    ...options
  })
  app.get('/users', async () => [])
  app.delete('/sessions', async () => ({}))
  app.get('/report', { constraints: { version: '1.0.0' } }, async () => ({ v: 1 }))
  app.get('/planned', { config: { implemented: false } }, async () => 'never')
  app.get('/retired', { config: { gone: true } }, async () => 'never')
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'plus')
  app.get('/beta', { config: { feature: 'beta' } }, async () => 'beta')
  return app
}

const defaults: Record<string, string> = {
  FST_METHOD_NOT_IMPLEMENTED: 'max-age=60',
  FST_METHOD_NOT_ALLOWED: 'max-age=60',
  OPTIONS: 'max-age=60',
  FST_VERSION_NOT_IMPLEMENTED: 'max-age=60',
  FST_ENDPOINT_NOT_IMPLEMENTED: 'max-age=60',
  // A retired endpoint stays retired: longer than the others, never forever.
  FST_ENDPOINT_GONE: 'max-age=3600',
  FST_TIER_REQUIRED: 'private, no-store',
  FST_FEATURE_DISABLED: 'private, no-store',
  FST_TIER_UNAVAILABLE: 'no-store'
}

test('every answer the plugin makes carries its default Cache-Control, never Last-Modified', async (t) => {
  const app = await build()
  const { origin } = await listen(t, app)
  for (const answer of answers) {
    const res = await request(origin + answer.path, { method: answer.method, headers: 'headers' in answer ? answer.headers : {} })
    await res.body.dump()
    t.equal(res.statusCode, answer.status, answer.name)
    t.equal(res.headers['cache-control'], defaults[answer.code], answer.name)
    t.equal(res.headers['last-modified'], undefined, answer.name)
    t.equal(res.headers.expires, undefined, answer.name)
  }
})

const sharedCodes = ['FST_METHOD_NOT_IMPLEMENTED', 'FST_METHOD_NOT_ALLOWED', 'FST_ENDPOINT_NOT_IMPLEMENTED', 'FST_VERSION_NOT_IMPLEMENTED', 'FST_ENDPOINT_GONE', 'OPTIONS']
const perCallerCodes = ['FST_TIER_REQUIRED', 'FST_FEATURE_DISABLED', 'FST_TIER_UNAVAILABLE']

test('cacheControl overrides per code; false sends none on the outcomes that do not depend on the caller', async (t) => {
  const overrides: Record<string, string | false> = {
    FST_METHOD_NOT_IMPLEMENTED: 'public, max-age=3600',
    FST_METHOD_NOT_ALLOWED: false,
    OPTIONS: 'max-age=86400',
    FST_VERSION_NOT_IMPLEMENTED: 'no-cache',
    FST_ENDPOINT_NOT_IMPLEMENTED: false,
    FST_ENDPOINT_GONE: 'max-age=86400',
    FST_TIER_REQUIRED: 'private, max-age=30',
    FST_FEATURE_DISABLED: 'no-store',
    FST_TIER_UNAVAILABLE: 'no-store, max-age=0'
  }
  const app = await build({ cacheControl: overrides })
  for (const answer of answers) {
    const res = await app.inject({ method: answer.method, url: answer.path, headers: 'headers' in answer ? answer.headers : {} })
    t.equal(res.statusCode, answer.status, answer.name)
    const expected = overrides[answer.code]
    t.equal(res.headers['cache-control'], expected === false ? undefined : expected, answer.name)
  }
  const retry = await app.inject({ method: 'GET', url: '/plus', headers: { 'x-tier': 'broken' } })
  t.equal(retry.headers['retry-after'], '5', 'Retry-After stays whatever the Cache-Control')
})

test('false on every shared outcome at once: those answers carry no Cache-Control, the per-caller ones keep theirs', async (t) => {
  const app = await build({ cacheControl: Object.fromEntries(sharedCodes.map((code) => [code, false])) })
  for (const answer of answers) {
    const res = await app.inject({ method: answer.method, url: answer.path, headers: 'headers' in answer ? answer.headers : {} })
    t.equal(res.statusCode, answer.status, answer.name)
    const expected = sharedCodes.includes(answer.code) ? undefined : defaults[answer.code]
    t.equal(res.headers['cache-control'], expected, answer.name)
  }
})

test('false on a per-caller outcome does not start: a shared cache could store that answer', async (t) => {
  for (const code of perCallerCodes) {
    const app = Fastify()
    app.register(notImplemented, { tiers: ['free', 'plus'], resolveTier: tierOf, cacheControl: { [code]: false } })
    const error = await app.ready().then(() => undefined, (error: unknown) => error)
    t.type(error, TypeError, code)
    t.ok((error as Error).message.startsWith(
      `fastify-not-implemented: option "cacheControl.${code}" would let a shared cache store an answer that depends on the caller`
    ), (error as Error).message)
    t.ok((error as Error).message.endsWith('got false'), 'names the value')
  }
})

test('Vary: Accept-Version on method-level answers where routes are versioned', async (t) => {
  const app = await build()
  const { origin } = await listen(t, app)
  const notAllowed = await request(origin + '/users', { method: 'DELETE' })
  t.equal(notAllowed.headers.vary, 'Accept-Version')
  await notAllowed.body.dump()
  const options = await request(origin + '/users', { method: 'OPTIONS' })
  t.equal(options.headers.vary, 'Accept-Version')
  await options.body.dump()
  const version = await request(origin + '/report', { headers: { 'accept-version': '9.x' } })
  t.equal(version.headers.vary, 'Accept-Version')
  await version.body.dump()
  const nowhere = await request(origin + '/users', { method: 'PROPFIND' })
  t.equal(nowhere.headers.vary, undefined, 'no method is implemented in one version and not another')
  await nowhere.body.dump()

  const unversioned = Fastify()
  await unversioned.register(notImplemented)
  unversioned.get('/users', async () => [])
  unversioned.delete('/sessions', async () => ({}))
  const plain = await unversioned.inject({ method: 'DELETE', url: '/users' })
  t.equal(plain.statusCode, 405)
  t.equal(plain.headers.vary, undefined, 'nothing to vary on')
})

test('Vary set earlier by the app or another plugin is kept and extended, never repeated', async (t) => {
  const app = await build()
  app.addHook('onRequest', async (request, reply) => {
    const vary = request.headers['x-set-vary']
    if (typeof vary === 'string') reply.header('vary', vary)
  })
  const cases = [
    { set: 'Origin', expected: 'Origin, Accept-Version' },
    { set: 'Origin, accept-version', expected: 'Origin, accept-version' },
    { set: ' , Origin', expected: 'Origin, Accept-Version' }
  ]
  for (const { set, expected } of cases) {
    const res = await app.inject({ method: 'DELETE', url: '/users', headers: { 'x-set-vary': set } })
    t.equal(res.statusCode, 405)
    t.equal(res.headers.vary, expected, set)
  }
})
