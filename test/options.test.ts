import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('..')

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

// Options as a user might get them wrong, past the type checker (from JSON, or plain JS).
const invalid: Array<[string, unknown, RegExp]> = [
  ['an unknown option', { autoOption: false }, /unknown option "autoOption"; known options: tiers, resolveTier, /],
  ['tiers not an array', { tiers: 'free,plus' }, /option "tiers" must be an array of plan names, lowest first, got string/],
  ['an empty tier name', { tiers: ['free', ''] }, /option "tiers" must hold non-empty strings, got ""/],
  ['a tier that is not a string', { tiers: ['free', 2] }, /option "tiers" must hold non-empty strings, got 2/],
  ['a tier named twice', { tiers: ['free', 'plus', 'free'] }, /option "tiers" names "free" twice/],
  ['resolveTier not a function', { resolveTier: 'plus' }, /option "resolveTier" must be a function, got string/],
  ['isFeatureEnabled not a function', { isFeatureEnabled: true }, /option "isFeatureEnabled" must be a function, got boolean/],
  ['autoOptions not a boolean', { autoOptions: 'yes' }, /option "autoOptions" must be a boolean, got string/],
  ['exposeRequiredTier not a boolean', { exposeRequiredTier: 1 }, /option "exposeRequiredTier" must be a boolean, got number/],
  ['sharedSchemas not a boolean', { sharedSchemas: 'true' }, /option "sharedSchemas" must be a boolean, got string/],
  ['cacheControl not an object', { cacheControl: 'no-store' }, /option "cacheControl" must be an object keyed by outcome code/],
  ['cacheControl as an array', { cacheControl: ['no-store'] }, /option "cacheControl" must be an object keyed by outcome code/],
  ['an unknown cacheControl key', { cacheControl: { FST_NOT_ALLOWED: 'no-store' } }, /option "cacheControl" has an unknown key "FST_NOT_ALLOWED"; known keys: FST_METHOD_NOT_IMPLEMENTED, /],
  ['a cacheControl value that is not a string', { cacheControl: { FST_METHOD_NOT_ALLOWED: 60 } }, /option "cacheControl.FST_METHOD_NOT_ALLOWED" must be a Cache-Control value \(visible ASCII, spaces and tabs\) or false, got 60/],
  ['cacheControl true', { cacheControl: { OPTIONS: true } }, /option "cacheControl.OPTIONS" must be a Cache-Control value \(visible ASCII, spaces and tabs\) or false, got true/],
  ['an empty cacheControl value', { cacheControl: { OPTIONS: '  ' } }, /option "cacheControl.OPTIONS" must be a Cache-Control value \(visible ASCII, spaces and tabs\) or false, got " {2}"/],
  ['a cacheControl value with a line break', { cacheControl: { OPTIONS: 'max-age=1\r\nSet-Cookie: a=b' } }, /option "cacheControl.OPTIONS" must be a Cache-Control value \(visible ASCII, spaces and tabs\) or false/],
  ['a shared-cacheable per-caller answer', { cacheControl: { FST_TIER_REQUIRED: 'public, max-age=60' }, vary: 'Authorization' }, /option "cacheControl.FST_TIER_REQUIRED" would let a shared cache store an answer that depends on the caller/],
  ['vary not a header name', { vary: 'Authorization, Cookie' }, /option "vary" must hold header names, got "Authorization, Cookie"/],
  ['vary not a string or an array', { vary: 1 }, /option "vary" must be a header name or an array of header names/],
  ['vary holding a non-string', { vary: ['Authorization', null] }, /option "vary" must hold header names, got null/],
  ['tierRequiredStatus not one of 501, 402, 403', { tierRequiredStatus: 404 }, /option "tierRequiredStatus" must be 501, 402 or 403, got 404/],
  ['tierRequiredStatus as a string', { tierRequiredStatus: '402' }, /option "tierRequiredStatus" must be 501, 402 or 403, got "402"/],
  ['versionNotImplementedStatus not one of 501, 406, 404', { versionNotImplementedStatus: 400 }, /option "versionNotImplementedStatus" must be 501, 406 or 404, got 400/],
  ['versionNotImplementedStatus as a string', { versionNotImplementedStatus: '406' }, /option "versionNotImplementedStatus" must be 501, 406 or 404, got "406"/],
  ['problemDetails not a boolean or an object', { problemDetails: 'true' }, /option "problemDetails" must be a boolean or \{ typeBase \}, got "true"/],
  ['a relative problemDetails.typeBase', { problemDetails: { typeBase: 'problems/' } }, /option "problemDetails.typeBase" must be an absolute URI ending in "\/", "#", ":" or "=", .*got "problems\/"/],
  ['resolverTimeout zero', { resolverTimeout: 0 }, /option "resolverTimeout" must be a whole number from 1 to 2147483647, got 0/],
  ['resolverTimeout infinite', { resolverTimeout: Infinity }, /option "resolverTimeout" must be a whole number from 1 to 2147483647, got Infinity/],
  ['resolverTimeout a string', { resolverTimeout: '100' }, /option "resolverTimeout" must be a whole number from 1 to 2147483647, got "100"/],
  ['resolverTimeout a fraction', { resolverTimeout: 0.5 }, /option "resolverTimeout" must be a whole number from 1 to 2147483647, got 0.5/],
  ['retryAfter a fraction', { retryAfter: 1.5 }, /option "retryAfter" must be a whole number from 1 to 9007199254740991, got 1.5/],
  ['retryAfter negative', { retryAfter: -1 }, /option "retryAfter" must be a whole number from 1 to 9007199254740991, got -1/],
  ['an unknown logLevel', { logLevel: 'verbose' }, /option "logLevel" must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"/],
  ['logLevel not a string', { logLevel: 30 }, /option "logLevel" must be one of .*, got 30/]
]

// Fastify lets a function compute a plugin's options; what it returns is checked too.
test('registration fails clearly when the options are not an object', async (t) => {
  const app = Fastify()
  app.register(notImplemented, (() => 'tiers=free,plus') as never)
  await t.rejects(Promise.resolve(app.ready()), { name: 'TypeError', message: 'fastify-not-implemented: options must be an object, got string' })
})

for (const [name, options, message] of invalid) {
  test(`registration fails clearly on ${name}`, async (t) => {
    const app = Fastify()
    app.register(notImplemented, options as Options)
    await t.rejects(Promise.resolve(app.ready()), message)
    await t.rejects(Promise.resolve(app.ready()), { name: 'TypeError', message: /^fastify-not-implemented: / }, 'a TypeError that names the plugin')
  })
}

test('valid options are accepted and the user\'s object is left alone', async (t) => {
  const options = Object.freeze({
    tiers: Object.freeze(['free', 'plus']),
    resolveTier: () => 'free',
    isFeatureEnabled: () => true,
    autoOptions: false,
    cacheControl: Object.freeze({ FST_METHOD_NOT_ALLOWED: 'no-cache', OPTIONS: false as const, FST_TIER_REQUIRED: 'private, max-age=5' }),
    vary: ['Authorization'],
    tierRequiredStatus: 402 as const,
    exposeRequiredTier: false,
    resolverTimeout: 250,
    retryAfter: 30,
    logLevel: 'debug' as const
  })
  const copy = JSON.stringify(options)
  const app = Fastify()
  await app.register(notImplemented, options)
  app.get('/users', async () => [])
  app.post('/orders', async () => ({}))
  await app.ready()
  t.equal(JSON.stringify(options), copy)
  const res = await app.inject({ method: 'POST', url: '/users' })
  t.equal(res.statusCode, 405)
  t.equal(res.headers['cache-control'], 'no-cache')
  t.equal(res.headers.allow, 'GET, HEAD', 'autoOptions: false')

  const single = Fastify()
  single.register(notImplemented, { vary: 'Authorization', cacheControl: { FST_FEATURE_DISABLED: 'private, max-age=10' } })
  await t.resolves(Promise.resolve(single.ready()), 'a single vary header name is accepted')
  await single.close()
})
