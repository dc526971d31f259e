import { test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { Agent, request } from 'undici'
import notImplemented = require('../..')
import { featureDisabledBody, tierRequiredBody, tierUnavailableBody } from '../helpers/bodies'
import { listen } from '../helpers/http'
import { nginxOrReport, startNginx } from '../helpers/nginx'

// Per-caller answers (a tier too low, a flag off, a plan that could not be determined) were
// let through with `cacheControl` values that a shared cache may store: a qualified
// `private="x-debug", max-age=60` (RFC 9111 §5.2.2.7: only the named field is private, the
// response is storable) passed a check that looked for the word "private", and `false`
// sent no Cache-Control at all, which a cache may store for as long as its own heuristic
// says when the app's responses carry Last-Modified (RFC 9111 §4.2.2). One caller's 501 was
// then served to another caller who has the plan. Such values now fail at start-up, with
// or without `vary`: a per-caller answer needs an unqualified `private` or `no-store`.

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

const perCallerCodes = ['FST_TIER_REQUIRED', 'FST_FEATURE_DISABLED', 'FST_TIER_UNAVAILABLE'] as const
const tiers = ['free', 'plus']

function planOf (request: FastifyRequest): string | undefined {
  const plan = request.headers['x-plan']
  if (plan === 'broken') throw new Error('plan service down')
  return typeof plan === 'string' ? plan : undefined
}

async function startError (options: Options): Promise<unknown> {
  const app = Fastify()
  app.register(notImplemented, { tiers, resolveTier: planOf, isFeatureEnabled: () => false, ...options })
  return await app.ready().then(() => undefined, (error: unknown) => error)
}

const refusalPrefix = (code: string): string =>
  `fastify-not-implemented: option "cacheControl.${code}" would let a shared cache store an answer that depends on the caller`

test('a policy that lets a shared cache store a per-caller answer fails at start-up, naming the code', async (t) => {
  const storable = ['private="x-debug", max-age=60', false, 'public, max-age=60', 'max-age=60', 's-maxage=600', 'no-cache'] as const
  for (const code of perCallerCodes) {
    for (const policy of storable) {
      const name = `${code}: ${JSON.stringify(policy)}`
      const error = await startError({ cacheControl: { [code]: policy } })
      t.type(error, TypeError, name)
      const message = (error as Error).message
      t.ok(message.startsWith(refusalPrefix(code)), `${name}: ${message}`)
      t.ok(message.endsWith(`got ${JSON.stringify(policy)}`), `${name}: names the value`)
    }
  }
})

test('`vary` does not make a qualified private acceptable', async (t) => {
  for (const code of perCallerCodes) {
    const error = await startError({ cacheControl: { [code]: 'private="x-debug", max-age=60' }, vary: 'Authorization' })
    t.type(error, TypeError, code)
    t.ok((error as Error).message.startsWith(refusalPrefix(code)), (error as Error).message)
  }
})

// The three per-caller answers of one app.
async function perCallerAnswers (app: FastifyInstance): Promise<Record<typeof perCallerCodes[number], { status: number, cacheControl: unknown }>> {
  const get = async (url: string, plan?: string): Promise<{ status: number, cacheControl: unknown }> => {
    const response = await app.inject({ url, headers: plan === undefined ? {} : { 'x-plan': plan } })
    return { status: response.statusCode, cacheControl: response.headers['cache-control'] }
  }
  return {
    FST_TIER_REQUIRED: await get('/plus', 'free'),
    FST_FEATURE_DISABLED: await get('/beta', 'plus'),
    FST_TIER_UNAVAILABLE: await get('/plus', 'broken')
  }
}

async function build (options: Options): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(notImplemented, { tiers, resolveTier: planOf, isFeatureEnabled: () => false, logLevel: 'silent', ...options })
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'plus')
  app.get('/beta', { config: { feature: 'beta' } }, async () => 'beta')
  return app
}

test('an unqualified private or no-store is accepted for every per-caller code and sent as given', async (t) => {
  const statuses = { FST_TIER_REQUIRED: 501, FST_FEATURE_DISABLED: 501, FST_TIER_UNAVAILABLE: 503 }
  for (const policy of ['private, max-age=60', 'no-store', 'private', 'PRIVATE, no-cache', 'private,\tmax-age=60']) {
    const app = await build({ cacheControl: { FST_TIER_REQUIRED: policy, FST_FEATURE_DISABLED: policy, FST_TIER_UNAVAILABLE: policy } })
    const answers = await perCallerAnswers(app)
    for (const code of perCallerCodes) {
      t.same(answers[code], { status: statuses[code], cacheControl: policy }, `${code}: ${JSON.stringify(policy)}`)
    }
  }
})

test('a cacheControl value with a character a header cannot carry fails at start-up', async (t) => {
  const values = [
    ['an em dash (U+2014)', 'private \u2014 max-age=60'],
    ['a line feed', 'private\nmax-age=60'],
    ['a CR LF and another header', 'private\r\nSet-Cookie: a=b'],
    ['a NUL', 'private\u0000'],
    ['a DEL', 'private\u007f']
  ]
  for (const code of ['FST_METHOD_NOT_ALLOWED', ...perCallerCodes]) {
    for (const [what, value] of values) {
      const error = await startError({ cacheControl: { [code]: value } })
      t.type(error, TypeError, `${code}: ${what}`)
      t.equal((error as Error).message,
        `fastify-not-implemented: option "cacheControl.${code}" must be a Cache-Control value (visible ASCII, spaces and tabs) or false, got ${JSON.stringify(value)}`,
        `${code}: ${what}`)
    }
  }
})

const binary = nginxOrReport('the nginx check of this regression')

if (binary !== undefined) {
  test('behind nginx, with Last-Modified on every response, the default per-caller answers are never served from the cache', async (t) => {
    const lastModified = new Date(Date.now() - 24 * 60 * 60 * 1000).toUTCString()
    const app = Fastify()
    await app.register(notImplemented, {
      tiers,
      resolveTier: planOf,
      isFeatureEnabled: (_feature, request) => planOf(request) === 'plus',
      logLevel: 'silent'
    })
    let sequence = 0
    app.addHook('onSend', async (_request, reply) => {
      reply.header('last-modified', lastModified)
      reply.header('x-origin-seq', String(++sequence))
    })
    // The app keeps its own per-caller 200s private.
    const own = async (request: FastifyRequest, reply: FastifyReply) => {
      reply.header('cache-control', 'private')
      return { plan: planOf(request) }
    }
    app.get('/reports', { config: { tier: 'plus' } }, own)
    app.get('/beta', { config: { feature: 'beta' } }, own)
    // No Cache-Control: what nginx does with an unmarked answer.
    app.get('/open', async () => ({ open: true }))
    const { port } = await listen(t, app)
    // nginx keeps for ten minutes any answer that does not forbid it.
    const nginx = await startNginx(binary, port, { extra: 'proxy_cache_valid any 10m;' })
    t.teardown(() => nginx.stop())
    const dispatcher = new Agent()
    t.teardown(() => dispatcher.close())

    const get = async (url: string, plan?: string) => {
      const response = await request(`${nginx.origin}${url}`, { dispatcher, headers: plan === undefined ? {} : { 'x-plan': plan } })
      return {
        status: response.statusCode,
        body: await response.body.json(),
        cacheControl: response.headers['cache-control'],
        lastModified: response.headers['last-modified'],
        cacheStatus: response.headers['x-cache-status']
      }
    }

    // An unmarked answer with Last-Modified is stored and served again: the cache is on.
    const open = [await get('/open'), await get('/open', 'free')]
    t.same(open.map((answer) => answer.cacheStatus), ['MISS', 'HIT'])
    t.same(open.map((answer) => answer.body), [{ open: true }, { open: true }])

    const tierRequired = tierRequiredBody('plus')
    const featureDisabled = featureDisabledBody('beta')
    const unavailable = tierUnavailableBody
    const turns: Array<[string, string | undefined, number, unknown, string | undefined]> = [
      ['/reports', 'free', 501, tierRequired, 'private, no-store'],
      ['/reports', 'plus', 200, { plan: 'plus' }, 'private'],
      ['/reports', undefined, 501, tierRequired, 'private, no-store'],
      ['/reports', 'plus', 200, { plan: 'plus' }, 'private'],
      ['/reports', 'broken', 503, unavailable, 'no-store'],
      ['/reports', 'plus', 200, { plan: 'plus' }, 'private'],
      ['/reports', 'free', 501, tierRequired, 'private, no-store'],
      ['/beta', 'free', 501, featureDisabled, 'private, no-store'],
      ['/beta', 'plus', 200, { plan: 'plus' }, 'private'],
      ['/beta', 'free', 501, featureDisabled, 'private, no-store'],
      ['/beta', 'plus', 200, { plan: 'plus' }, 'private']
    ]
    for (const [url, plan, status, body, cacheControl] of turns) {
      const name = `${plan ?? 'anonymous'} GET ${url}`
      t.same(await get(url, plan), { status, body, cacheControl, lastModified, cacheStatus: 'MISS' }, name)
    }
    t.equal(sequence, 1 + turns.length, 'the origin answered /open once and every turn')
  })
}
