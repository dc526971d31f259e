import { test, type Test } from 'tap'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import cors from '@fastify/cors'
import { request as undiciRequest } from 'undici'
import notImplemented = require('..')
import { flagFromHeader, tierFromHeader, tiers } from './helpers/gating'
import { listen } from './helpers/http'

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

// `extend` runs after the plugin is registered and before the routes are declared: where
// another plugin (@fastify/cors) or the app's own hooks go.
async function build (options: Options = {}, extend?: (app: FastifyInstance) => Promise<void>): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(notImplemented, {
    tiers,
    resolveTier: tierFromHeader,
    isFeatureEnabled: flagFromHeader,
    ...options
  })
  if (extend !== undefined) await extend(app)
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'plus')
  app.get('/export', { config: { feature: 'bulk-export' } }, async () => 'export')
  app.get('/flaky', { config: { tier: 'plus' } }, async () => 'never')
  return app
}

const refusals = [
  { url: '/plus', code: 'FST_TIER_REQUIRED' },
  { url: '/export', code: 'FST_FEATURE_DISABLED' }
]

const perCallerCodes = ['FST_TIER_REQUIRED', 'FST_FEATURE_DISABLED', 'FST_TIER_UNAVAILABLE'] as const

// The three per-caller answers, each checked to be exactly what it should be: a tier too
// low, a flag off, and a tier the resolver names that is not in `tiers` (503).
const expectedBodies = {
  FST_TIER_REQUIRED: { statusCode: 501, code: 'FST_TIER_REQUIRED', error: 'Not Implemented', message: 'This endpoint requires the plus plan', requiredTier: 'plus' },
  FST_FEATURE_DISABLED: { statusCode: 501, code: 'FST_FEATURE_DISABLED', error: 'Not Implemented', message: 'Feature bulk-export is not enabled', feature: 'bulk-export' },
  FST_TIER_UNAVAILABLE: { statusCode: 503, code: 'FST_TIER_UNAVAILABLE', error: 'Service Unavailable', message: 'The caller\'s plan could not be determined' }
}

async function perCallerAnswers (t: Test, app: FastifyInstance): Promise<Record<typeof perCallerCodes[number], LightMyRequestResponse>> {
  const answers = {
    FST_TIER_REQUIRED: await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } }),
    FST_FEATURE_DISABLED: await app.inject({ url: '/export', headers: { 'x-tier': 'free' } }),
    FST_TIER_UNAVAILABLE: await app.inject({ url: '/plus', headers: { 'x-tier': 'gold' } })
  }
  for (const code of perCallerCodes) {
    t.equal(answers[code].statusCode, expectedBodies[code].statusCode, code)
    t.same(answers[code].json(), expectedBodies[code], code)
  }
  return answers
}

const refusalPrefix = (code: string): string =>
  `fastify-not-implemented: option "cacheControl.${code}" would let a shared cache store an answer that depends on the caller`

test('per-caller answers default to private, no-store (the 503 to no-store) and no Vary', async (t) => {
  const app = await build()
  const answers = await perCallerAnswers(t, app)
  t.equal(answers.FST_TIER_REQUIRED.headers['cache-control'], 'private, no-store')
  t.equal(answers.FST_FEATURE_DISABLED.headers['cache-control'], 'private, no-store')
  t.equal(answers.FST_TIER_UNAVAILABLE.headers['cache-control'], 'no-store')
  t.equal(answers.FST_TIER_UNAVAILABLE.headers['retry-after'], '5')
  for (const code of perCallerCodes) t.equal(answers[code].headers.vary, undefined, code)
})

test('a per-caller policy a shared cache may store fails at start-up, with or without `vary`', async (t) => {
  const policies = ['public, max-age=60', 'max-age=60', 's-maxage=600', 'no-cache', 'private="x"', 'private="x-debug", max-age=60', false] as const
  for (const code of perCallerCodes) {
    for (const policy of policies) {
      for (const vary of [undefined, 'Authorization', ['Authorization', 'X-Plan']]) {
        const app = Fastify()
        app.register(notImplemented, { tiers, resolveTier: tierFromHeader, cacheControl: { [code]: policy }, ...(vary === undefined ? {} : { vary }) })
        const error = await app.ready().then(() => undefined, (error: unknown) => error)
        const name = `${code}: ${JSON.stringify(policy)}, vary ${JSON.stringify(vary)}`
        t.type(error, TypeError, name)
        t.ok((error as Error).message.startsWith(refusalPrefix(code)), `${name}: ${(error as Error).message}`)
        t.ok((error as Error).message.endsWith(`got ${JSON.stringify(policy)}`), `${name}: names the value`)
      }
    }
  }
})

test('private policies are accepted for every per-caller answer and sent as given', async (t) => {
  for (const policy of ['private, max-age=60', 'no-store', 'private', 'max-age=0, Private', 'NO-STORE', 'PRIVATE, no-cache']) {
    const app = await build({ cacheControl: { FST_TIER_REQUIRED: policy, FST_FEATURE_DISABLED: policy, FST_TIER_UNAVAILABLE: policy } })
    const answers = await perCallerAnswers(t, app)
    for (const code of perCallerCodes) {
      t.equal(answers[code].headers['cache-control'], policy, `${code}: ${policy}`)
      t.equal(answers[code].headers.vary, undefined, `${code}: ${policy}`)
    }
  }
})

test('`vary` puts Vary on every per-caller answer, the 503 included, next to a private policy', async (t) => {
  const cacheControl = { FST_TIER_REQUIRED: 'private, max-age=60', FST_FEATURE_DISABLED: 'private, max-age=30' }
  const one = await build({ cacheControl, vary: 'Authorization' })
  const answers = await perCallerAnswers(t, one)
  t.equal(answers.FST_TIER_REQUIRED.headers['cache-control'], 'private, max-age=60')
  t.equal(answers.FST_FEATURE_DISABLED.headers['cache-control'], 'private, max-age=30')
  t.equal(answers.FST_TIER_UNAVAILABLE.headers['cache-control'], 'no-store')
  t.equal(answers.FST_TIER_UNAVAILABLE.headers['retry-after'], '5')
  for (const code of perCallerCodes) t.equal(answers[code].headers.vary, 'Authorization', code)

  const two = await build({ cacheControl, vary: ['Authorization', 'X-Plan'] })
  for (const [code, answer] of Object.entries(await perCallerAnswers(t, two))) t.equal(answer.headers.vary, 'Authorization, X-Plan', code)

  // An allowed caller's response is the handler's own: no Cache-Control, no Vary added.
  const allowed = await one.inject({ url: '/plus', headers: { 'x-tier': 'plus' } })
  t.equal(allowed.statusCode, 200)
  t.equal(allowed.body, 'plus')
  t.equal(allowed.headers['cache-control'], undefined)
  t.equal(allowed.headers.vary, undefined)
})

test('`vary` also goes on the default private, no-store answers', async (t) => {
  const app = await build({ vary: 'Authorization' })
  const answers = await perCallerAnswers(t, app)
  t.equal(answers.FST_TIER_REQUIRED.headers['cache-control'], 'private, no-store')
  t.equal(answers.FST_FEATURE_DISABLED.headers['cache-control'], 'private, no-store')
  t.equal(answers.FST_TIER_UNAVAILABLE.headers['cache-control'], 'no-store')
  for (const code of perCallerCodes) t.equal(answers[code].headers.vary, 'Authorization', code)
})

test('Vary merges with the one @fastify/cors sets in its onRequest hook', async (t) => {
  const cacheControl = { FST_TIER_REQUIRED: 'private, max-age=60', FST_FEATURE_DISABLED: 'private, max-age=60' }
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
    t.equal(res.headers['cache-control'], 'private, max-age=60')
  }
})

test('Vary merges with one the app set earlier, without repeating a name', async (t) => {
  const cacheControl = { FST_TIER_REQUIRED: 'private, max-age=60' }
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
    t.equal(res.headers['cache-control'], 'private, max-age=60')
    t.same([res.headers.vary].flat().join(',').split(/\s*,\s*/), want, String(existing))
  }
})
