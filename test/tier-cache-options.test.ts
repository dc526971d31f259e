import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('..')

// The options of the entitlement cache, the hidden denial and the upgrade link, as a user
// might get them wrong past the type checker: each is refused at start-up, by name.

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

const base = { tiers: ['free', 'plus'], resolveTier: () => 'free' }
const key = (): string => 'acme'
const redisLike = { status: 'wait', duplicate () {}, mget () {}, set () {}, eval () {}, publish () {} }

const invalid: Array<[string, Record<string, unknown>, string]> = [
  ['tierCache not an object', { tierCache: 'yes' }, 'option "tierCache" must be an object such as { key: (request) => request.headers[\'x-tenant\'] }'],
  ['tierCache null', { tierCache: null }, 'option "tierCache" must be an object such as { key: (request) => request.headers[\'x-tenant\'] }'],
  ['tierCache an array', { tierCache: [] }, 'option "tierCache" must be an object such as { key: (request) => request.headers[\'x-tenant\'] }'],
  ['an unknown tierCache key', { tierCache: { key, maxAge: 10 } }, 'option "tierCache" has an unknown key "maxAge"; known keys: key, ttl, staleIfError, max, redis'],
  ['tierCache without resolveTier', { resolveTier: undefined, tierCache: { key } }, 'option "tierCache" caches what "resolveTier" answers, and there is no "resolveTier" option'],
  ['tierCache without key', { tierCache: {} }, 'option "tierCache.key" must be a function that names the caller\'s tenant (request) => string | undefined, got undefined'],
  ['tierCache.key a string', { tierCache: { key: 'x-tenant' } }, 'option "tierCache.key" must be a function that names the caller\'s tenant (request) => string | undefined, got string'],
  ['ttl zero', { tierCache: { key, ttl: 0 } }, 'option "tierCache.ttl" must be a whole number from 1 to 2147483647, got 0'],
  ['ttl a string', { tierCache: { key, ttl: '30s' } }, 'option "tierCache.ttl" must be a whole number from 1 to 2147483647, got "30s"'],
  ['ttl a fraction', { tierCache: { key, ttl: 1.5 } }, 'option "tierCache.ttl" must be a whole number from 1 to 2147483647, got 1.5'],
  ['ttl too long for a timer', { tierCache: { key, ttl: 2147483648 } }, 'option "tierCache.ttl" must be a whole number from 1 to 2147483647, got 2147483648'],
  ['staleIfError negative', { tierCache: { key, staleIfError: -1 } }, 'option "tierCache.staleIfError" must be a whole number from 0 to 2147453647, got -1'],
  ['ttl + staleIfError too long', { tierCache: { key, ttl: 1000, staleIfError: 2147483647 } }, 'option "tierCache.staleIfError" must be a whole number from 0 to 2147482647, got 2147483647'],
  ['max zero', { tierCache: { key, max: 0 } }, 'option "tierCache.max" must be a whole number from 1 to 9007199254740991, got 0'],
  ['max infinite', { tierCache: { key, max: Infinity } }, 'option "tierCache.max" must be a whole number from 1 to 9007199254740991, got Infinity'],
  ['redis a URL', { tierCache: { key, redis: 'redis://localhost' } }, 'option "tierCache.redis" must be an ioredis client (new Redis(...)); it has no duplicate, mget, set, eval, publish'],
  ['redis null', { tierCache: { key, redis: null } }, 'option "tierCache.redis" must be an ioredis client (new Redis(...)); it has no duplicate, mget, set, eval, publish'],
  ['redis without publish', { tierCache: { key, redis: { ...redisLike, publish: undefined } } }, 'option "tierCache.redis" must be an ioredis client (new Redis(...)); it has no publish'],
  ['hideBelowTier not a boolean', { hideBelowTier: 'yes' }, 'option "hideBelowTier" must be a boolean, got string'],
  ['upgradeUrl a number', { upgradeUrl: 42 }, 'option "upgradeUrl" must be a URL (RFC 3986 characters, such as "https://example.com/billing") or a function (requiredTier, request) => string | undefined, got 42'],
  ['upgradeUrl empty', { upgradeUrl: '' }, 'option "upgradeUrl" must be a URL (RFC 3986 characters, such as "https://example.com/billing") or a function (requiredTier, request) => string | undefined, got ""'],
  ['upgradeUrl with a space', { upgradeUrl: 'https://example.com/up grade' }, 'option "upgradeUrl" must be a URL (RFC 3986 characters, such as "https://example.com/billing") or a function (requiredTier, request) => string | undefined, got "https://example.com/up grade"'],
  ['upgradeUrl that would end the Link', { upgradeUrl: 'https://example.com/>; rel="next' }, 'option "upgradeUrl" must be a URL (RFC 3986 characters, such as "https://example.com/billing") or a function (requiredTier, request) => string | undefined, got "https://example.com/>; rel=\\"next"']
]

for (const [name, options, message] of invalid) {
  test(`registration fails clearly on ${name}`, async (t) => {
    const app = Fastify()
    app.register(notImplemented, { ...base, ...options } as Options)
    await t.rejects(Promise.resolve(app.ready()), new TypeError(`fastify-not-implemented: ${message}`))
  })
}

test('the new options are listed among the known ones', async (t) => {
  const app = Fastify()
  app.register(notImplemented, { tierCach: {} } as Options)
  await t.rejects(Promise.resolve(app.ready()), { message: /known options: .*versionNotImplementedStatus, tierCache, hideBelowTier, upgradeUrl, sharedSchemas$/ })
})

test('valid cache options are accepted, with the defaults filled in and the user\'s object left alone', async (t) => {
  const { normalizeOptions } = require('../dist/options.js') as typeof import('../lib/options')
  const tierCache = Object.freeze({ key })
  const settings = normalizeOptions({ ...base, tierCache, hideBelowTier: true, upgradeUrl: 'https://example.com/billing?plan=plus' })
  t.same(settings.tierCache, { key, ttl: 30000, staleIfError: 300000, max: 10000, redis: undefined })
  t.equal(settings.hideBelowTier, true)
  t.equal(settings.upgradeUrl, 'https://example.com/billing?plan=plus')
  const full = normalizeOptions({ ...base, tierCache: { key, ttl: 1, staleIfError: 0, max: 1, redis: redisLike } })
  t.same(full.tierCache, { key, ttl: 1, staleIfError: 0, max: 1, redis: redisLike })
  const plain = normalizeOptions({})
  t.equal(plain.tierCache, undefined)
  t.equal(plain.hideBelowTier, false)
  t.equal(plain.upgradeUrl, undefined)
  const upgradeUrl = (): string => '/billing'
  t.equal(normalizeOptions({ upgradeUrl }).upgradeUrl, upgradeUrl)
})
