import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('../..')
import { logCapture, tiers } from '../helpers/gating'

// 0.1.0 wrote whatever a resolver returned by mistake (the account, with an API key and
// an e-mail) verbatim into the warn line's message and stack, where pino's `redact` could
// not reach it. Now only its type and shape are logged.
class Account {
  constructor (readonly id: string, readonly apiKey: string, readonly email: string) {}
}

const secrets = ['sk_live_51Hx', 'ada@example.com', 'acct_42']
const mistakes: Array<[string, unknown, string]> = [
  ['the account object', { id: 'acct_42', apiKey: 'sk_live_51Hx', email: 'ada@example.com' }, 'resolveTier returned an object with keys id, apiKey, email, which is not one of the tiers (free, plus, enterprise)'],
  ['an Account instance', new Account('acct_42', 'sk_live_51Hx', 'ada@example.com'), 'resolveTier returned an instance of Account with keys id, apiKey, email, which is not one of the tiers (free, plus, enterprise)'],
  ['the API key string', 'sk_live_51Hx', 'resolveTier returned a string of 12 characters, which is not one of the tiers (free, plus, enterprise)'],
  ['an array of accounts', [{ apiKey: 'sk_live_51Hx' }], 'resolveTier returned an array of 1 items, which is not one of the tiers (free, plus, enterprise)']
]

for (const [label, value, message] of mistakes) {
  test(`a resolver returning ${label}: the warn line has its shape, never its values`, async (t) => {
    const logs = logCapture()
    const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
    await app.register(notImplemented, { tiers, resolveTier: () => value as string })
    app.get('/plus', { config: { tier: 'plus' } }, async () => 'never')
    const res = await app.inject({ url: '/plus' })
    t.equal(res.statusCode, 503)
    const warn = logs.lines.find((line) => line.level === 40)
    t.equal(warn?.msg, `The caller's plan could not be determined: ${message}`)
    t.match(warn, { err: { type: 'TypeError', message } })
    const everything = JSON.stringify(logs.lines)
    for (const secret of secrets) t.notOk(everything.includes(secret), `"${secret}" is in no log line`)
  })
}

test('a flag source returning an object: shape only', async (t) => {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  await app.register(notImplemented, { isFeatureEnabled: () => ({ token: 'sk_live_51Hx' }) as unknown as boolean })
  app.get('/export', { config: { feature: 'bulk-export' } }, async () => 'never')
  t.equal((await app.inject({ url: '/export' })).statusCode, 503)
  t.equal(logs.lines.find((line) => line.level === 40)?.msg, 'The caller\'s plan could not be determined: isFeatureEnabled("bulk-export") returned an object with keys token, not a boolean')
  t.notOk(JSON.stringify(logs.lines).includes('sk_live_51Hx'))
})

test('values that cannot be inspected are described without throwing', async (t) => {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  const hostile = new Proxy({}, { ownKeys () { throw new Error('no keys for you') } })
  const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]))
  const values = [hostile, many, Object.create(null), Symbol('s'), () => 'free', true]
  let i = 0
  await app.register(notImplemented, { tiers, resolveTier: () => values[i++] as string })
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'never')
  for (let n = 0; n < values.length; n++) t.equal((await app.inject({ url: '/plus' })).statusCode, 503)
  t.same(logs.lines.filter((line) => line.level === 40).map((line) => String(line.msg).replace('The caller\'s plan could not be determined: resolveTier returned ', '').replace(', which is not one of the tiers (free, plus, enterprise)', '')), [
    'a value that cannot be inspected',
    'an object with keys k0, k1, k2, k3, k4, k5, k6, k7, … (10 keys)',
    'an object',
    'a symbol',
    'a function',
    'a boolean'
  ])
})

test('a non-Error thrown is described by its shape too', async (t) => {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  await app.register(notImplemented, { tiers, resolveTier: () => { throw { apiKey: 'sk_live_51Hx' } } }) // eslint-disable-line no-throw-literal
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'never')
  await app.inject({ url: '/plus' })
  t.match(logs.lines.find((line) => line.level === 40), { msg: 'The caller\'s plan could not be determined: threw an object with keys apiKey', err: { type: 'object' } })
  t.notOk(JSON.stringify(logs.lines).includes('sk_live_51Hx'))
})

test('an error whose name and message cannot be read, or that no instanceof can inspect, is still logged and answered', async (t) => {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  const fails = (what: string) => ({ get () { throw new Error(what) } })
  const unreadable = Object.create(Error.prototype, { name: fails('no name'), message: fails('no message'), stack: fails('no stack') }) as Error
  const opaque = new Proxy({}, { getPrototypeOf () { throw new Error('no prototype') } })
  const oddName = Object.assign(new Error('odd'), { name: 42 })
  const thrown = [unreadable, opaque, oddName]
  let i = 0
  await app.register(notImplemented, { tiers, resolveTier: () => { throw thrown[i++] } })
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'never')
  for (let n = 0; n < thrown.length; n++) t.equal((await app.inject({ url: '/plus' })).statusCode, 503)
  const warns = logs.lines.filter((line) => line.level === 40)
  t.match(warns[0], { msg: 'The caller\'s plan could not be determined: ', err: { type: 'Error', message: '' } })
  t.match(warns[1], { msg: 'The caller\'s plan could not be determined: threw a value that cannot be inspected', err: { type: 'object' } })
  t.match(warns[2], { msg: 'The caller\'s plan could not be determined: odd', err: { type: 'Error', message: 'odd' } }, 'a name that is not text reads as Error')
})
