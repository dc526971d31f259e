import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('..')
import { featureDisabledBody, tierRequiredBody } from './helpers/bodies'
import { flagFromHeader, tierFromHeader, tiers } from './helpers/gating'

// Routes that ask the same of the plugin share one gate and one prepared denial (made once,
// not once per route); routes that ask something else never get theirs. Every route must
// still answer exactly as its own config asks.
const routes: Array<{ url: string, config: { tier?: string, feature?: string } }> = [
  { url: '/a', config: { tier: 'plus' } },
  { url: '/b', config: { tier: 'plus' } },
  { url: '/c', config: { tier: 'enterprise' } },
  { url: '/d', config: { tier: 'plus', feature: 'beta' } },
  { url: '/e', config: { feature: 'beta' } },
  { url: '/f', config: { feature: 'bulk-export' } },
  { url: '/g', config: { tier: 'plus', feature: 'bulk-export' } }
]

async function build (options: Record<string, unknown> = {}): Promise<ReturnType<typeof Fastify>> {
  const app = Fastify()
  await app.register(notImplemented, { tiers, resolveTier: tierFromHeader, isFeatureEnabled: flagFromHeader, ...options })
  for (const { url, config } of routes) {
    app.get(url, { config }, async () => ({ url }))
    app.post(url, { config }, async () => ({ url }))
  }
  return app
}

test('routes that share a tier or a feature each answer as their own config asks', async (t) => {
  const app = await build()
  const cases: Array<[string, Record<string, string>, number, Record<string, unknown> | undefined]> = [
    ['/a', { 'x-tier': 'free' }, 501, tierRequiredBody('plus')],
    ['/b', { 'x-tier': 'free' }, 501, tierRequiredBody('plus')],
    ['/b', { 'x-tier': 'plus' }, 200, undefined],
    ['/c', { 'x-tier': 'plus' }, 501, tierRequiredBody('enterprise')],
    ['/c', { 'x-tier': 'enterprise' }, 200, undefined],
    ['/d', { 'x-tier': 'plus' }, 501, featureDisabledBody('beta')],
    ['/d', { 'x-tier': 'free', 'x-flags': 'beta' }, 501, tierRequiredBody('plus')],
    ['/d', { 'x-tier': 'plus', 'x-flags': 'beta' }, 200, undefined],
    ['/e', { 'x-flags': 'bulk-export' }, 501, featureDisabledBody('beta')],
    ['/e', { 'x-flags': 'beta' }, 200, undefined],
    ['/f', { 'x-flags': 'beta' }, 501, featureDisabledBody('bulk-export')],
    ['/g', { 'x-tier': 'plus', 'x-flags': 'beta' }, 501, featureDisabledBody('bulk-export')],
    ['/g', { 'x-tier': 'enterprise', 'x-flags': 'bulk-export' }, 200, undefined]
  ]
  for (const [url, headers, status, body] of cases) {
    for (const method of ['GET', 'POST'] as const) {
      const res = await app.inject({ method, url, headers })
      const what = `${method} ${url} with ${JSON.stringify(headers)}`
      t.equal(res.statusCode, status, what)
      t.same(res.json(), body ?? { url }, what)
      t.equal(res.headers['cache-control'], status === 200 ? undefined : 'private, no-store', what)
    }
  }
})

test('a denial shared by routes keeps the upgrade link and each route\'s own tier', async (t) => {
  const app = await build({ upgradeUrl: 'https://example.com/upgrade' })
  for (const [url, tier] of [['/a', 'plus'], ['/b', 'plus'], ['/c', 'enterprise']]) {
    const res = await app.inject({ url, headers: { 'x-tier': 'free' } })
    t.equal(res.statusCode, 501, url)
    t.same(res.json(), { ...tierRequiredBody(tier), upgradeUrl: 'https://example.com/upgrade' }, url)
    t.equal(res.headers.link, '<https://example.com/upgrade>; rel="payment"', url)
    t.equal(res.headers['cache-control'], 'private, no-store', url)
  }
})

test('two apps in one process do not share their denials', async (t) => {
  const first = await build({ exposeRequiredTier: false })
  const second = await build()
  const hidden = await first.inject({ url: '/a', headers: { 'x-tier': 'free' } })
  const shown = await second.inject({ url: '/a', headers: { 'x-tier': 'free' } })
  t.equal(hidden.statusCode, 501)
  t.equal(hidden.json().requiredTier, undefined)
  t.same(shown.json(), tierRequiredBody('plus'))
})
