import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import notImplemented from '../../lib/index'

// With `hideBelowTier`, a caller below a deprecated route's tier got the app's own 404, but
// with the route's Deprecation, Sunset and Link headers on it: the 404 told that the route
// exists. The deprecation headers now stay off the hidden answer.

async function build (): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(notImplemented, {
    tiers: ['free', 'plus'],
    resolveTier: (request) => request.headers['x-plan'] as string | undefined,
    hideBelowTier: true
  })
  app.get('/reports', { config: { tier: 'plus', deprecation: { date: '2025-01-01T00:00:00Z', sunset: '2099-01-01T00:00:00Z', link: 'https://example.com/migrate' } } }, async () => 'plus data')
  await app.ready()
  return app
}

test('a hidden deprecated route answers a caller below its tier exactly as a path that does not exist', async (t) => {
  const app = await build()
  t.teardown(() => app.close())
  const hidden = await app.inject({ url: '/reports', headers: { 'x-plan': 'free' } })
  const missing = await app.inject({ url: '/nowhere', headers: { 'x-plan': 'free' } })
  t.equal(hidden.statusCode, 404)
  t.equal(hidden.headers.deprecation, undefined)
  t.equal(hidden.headers.sunset, undefined)
  t.equal(hidden.headers.link, undefined)
  const { date: _a, ...hiddenHeaders } = hidden.headers
  const { date: _b, ...missingHeaders } = missing.headers
  t.same(hiddenHeaders, missingHeaders, 'the same headers (both URLs are 8 characters long)')
  t.equal(hidden.body, missing.body.replace('/nowhere', '/reports'), 'the same body, for its own URL')
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
