import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import notImplemented = require('../..')
import { listen } from '../helpers/http'

// With `hideBelowTier`, a caller below a route's tier got the app's own 404:
// - with a deprecated route's Deprecation, Sunset and Link on it, which told that the
//   route exists; they now stay off the hidden answer;
// - with no Cache-Control (a 404 is heuristically cacheable): a shared cache could store
//   one caller's 404 and refuse the route to a caller on the plan. The hidden answer now
//   leaves with the tier denial's Cache-Control and Vary, whatever the 404 handler set.

type Setup = (app: FastifyInstance) => void

async function build (setup?: Setup): Promise<FastifyInstance> {
  const app = Fastify()
  setup?.(app)
  await app.register(notImplemented, {
    tiers: ['free', 'plus'],
    resolveTier: (request) => request.headers['x-plan'] as string | undefined,
    hideBelowTier: true,
    vary: 'X-Plan'
  })
  app.get('/reports', { config: { tier: 'plus', deprecation: { date: '2025-01-01T00:00:00Z', sunset: '2099-01-01T00:00:00Z', link: 'https://example.com/migrate' } } }, async () => 'plus data')
  await app.ready()
  return app
}

test('the hidden 404: no deprecation headers, the denial\'s Cache-Control and Vary (inject and a real socket)', async (t) => {
  const app = await build()
  const { origin: base } = await listen(t, app)
  const viaInject = await app.inject({ url: '/reports', headers: { 'x-plan': 'free' } })
  const viaSocket = await fetch(`${base}/reports`, { headers: { 'x-plan': 'free' } })
  for (const [how, status, headers] of [['inject', viaInject.statusCode, new Headers(viaInject.headers as Record<string, string>)], ['socket', viaSocket.status, viaSocket.headers]] as const) {
    t.equal(status, 404, how)
    t.equal(headers.get('cache-control'), 'private, no-store', `${how}: never stored by a shared cache`)
    t.equal(headers.get('vary'), 'X-Plan', `${how}: private caches key on the plan`)
    t.equal(headers.get('deprecation'), null, how)
    t.equal(headers.get('sunset'), null, how)
    t.equal(headers.get('link'), null, how)
  }
  const missing = await app.inject({ url: '/nowhere', headers: { 'x-plan': 'free' } })
  t.equal(missing.headers['cache-control'], undefined, 'a path that does not exist keeps the app\'s own 404, untouched')
})

test('an app whose 404s carry the same headers makes the hidden 404 alike byte for byte', async (t) => {
  const app = await build((app) => {
    app.setNotFoundHandler((request, reply) => {
      reply.header('cache-control', 'private, no-store').header('vary', 'X-Plan')
      return reply.code(404).send({ message: `Route ${request.method}:${request.url} not found`, error: 'Not Found', statusCode: 404 })
    })
  })
  t.teardown(() => app.close())
  // Both URLs are eight characters long: the bodies, which name them, have one length.
  const hidden = await app.inject({ url: '/reports', headers: { 'x-plan': 'free' } })
  const missing = await app.inject({ url: '/nowhere', headers: { 'x-plan': 'free' } })
  const { date: _a, ...hiddenHeaders } = hidden.headers
  const { date: _b, ...missingHeaders } = missing.headers
  t.equal(hidden.statusCode, 404)
  t.same(hiddenHeaders, missingHeaders, 'the same headers')
  t.equal(hidden.body, missing.body.replace('/nowhere', '/reports'), 'the same body, for its own URL')
})

test('a 404 handler that lets its 404s be stored does not make the hidden one storable; Vary is merged', async (t) => {
  const app = await build((app) => {
    app.addHook('onRequest', async (request, reply) => { reply.header('vary', 'Origin') })
    app.setNotFoundHandler((request, reply) => reply.header('cache-control', 'public, max-age=300').code(404).send('not here'))
  })
  t.teardown(() => app.close())
  const hidden = await app.inject({ url: '/reports', headers: { 'x-plan': 'free' } })
  t.equal(hidden.statusCode, 404)
  t.equal(hidden.body, 'not here')
  t.equal(hidden.headers['cache-control'], 'private, no-store')
  t.equal(hidden.headers.vary, 'Origin, X-Plan')
  const missing = await app.inject({ url: '/nowhere' })
  t.equal(missing.headers['cache-control'], 'public, max-age=300', 'the app\'s own 404s keep theirs')
  t.equal(missing.headers.vary, 'Origin')
})

test('a caller on the plan still gets the deprecation headers', async (t) => {
  const app = await build()
  t.teardown(() => app.close())
  const res = await app.inject({ url: '/reports', headers: { 'x-plan': 'plus' } })
  t.equal(res.statusCode, 200)
  t.equal(res.headers.deprecation, '@1735689600')
  t.equal(res.headers.sunset, 'Thu, 01 Jan 2099 00:00:00 GMT')
  t.equal(res.headers.link, '<https://example.com/migrate>; rel="deprecation"')
})
