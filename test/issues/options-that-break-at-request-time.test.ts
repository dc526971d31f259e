import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('../..')
import { holdEventLoop, tiers } from '../helpers/gating'

// 0.1.0 accepted options that broke at request time: a resolverTimeout of 2^31 ms or
// more (Node turns it into 1 ms), a retryAfter of 1e21 (sent as "1e+21"), and
// cacheControl values with characters no header may carry.
const refused: Array<[string, object, RegExp]> = [
  ['resolverTimeout 2^31', { resolverTimeout: 2 ** 31 }, /option "resolverTimeout" must be a whole number from 1 to 2147483647, got 2147483648/],
  ['resolverTimeout 1e12', { resolverTimeout: 1e12 }, /option "resolverTimeout" must be a whole number from 1 to 2147483647, got 1000000000000/],
  ['retryAfter 1e21', { retryAfter: 1e21 }, /option "retryAfter" must be a whole number from 1 to 9007199254740991, got 1e\+21/],
  ['an em dash in cacheControl', { cacheControl: { FST_METHOD_NOT_IMPLEMENTED: 'max-age=60—' } }, /option "cacheControl.FST_METHOD_NOT_IMPLEMENTED" must be a Cache-Control value/],
  ['a NUL in cacheControl', { cacheControl: { OPTIONS: 'max-age=60\u0000' } }, /option "cacheControl.OPTIONS" must be a Cache-Control value/]
]

for (const [label, options, message] of refused) {
  test(`${label} is refused at start-up`, async (t) => {
    const app = Fastify()
    app.register(notImplemented, { tiers, resolveTier: () => 'free', ...options })
    await t.rejects(Promise.resolve(app.ready()), { name: 'TypeError', message })
  })
}

test('the longest resolverTimeout Node keeps is accepted and waited for', async (t) => {
  holdEventLoop(t)
  const app = Fastify()
  await app.register(notImplemented, { tiers, resolverTimeout: 2 ** 31 - 1, resolveTier: () => new Promise((resolve) => setTimeout(resolve, 50, 'plus')) })
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'in')
  t.equal((await app.inject({ url: '/plus' })).body, 'in', 'not cut off after 1 ms')
})

test('a large retryAfter is sent as digits', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, { tiers, retryAfter: Number.MAX_SAFE_INTEGER, resolveTier: () => 'gold' })
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'in')
  t.equal((await app.inject({ url: '/plus' })).headers['retry-after'], '9007199254740991')
})

test('directives inside a quoted argument do not count: `private="a\\", no-store"` is refused for a per-caller answer', async (t) => {
  const app = Fastify()
  app.register(notImplemented, { cacheControl: { FST_TIER_REQUIRED: 'private="a\\", no-store", max-age=60' } })
  await t.rejects(Promise.resolve(app.ready()), { message: /option "cacheControl.FST_TIER_REQUIRED" would let a shared cache store an answer that depends on the caller/ })
  const ok = Fastify()
  ok.register(notImplemented, { cacheControl: { FST_TIER_REQUIRED: 'no-cache="a\\", b", private' } })
  await t.resolves(Promise.resolve(ok.ready()), 'an unqualified private after a quoted argument counts')
})
