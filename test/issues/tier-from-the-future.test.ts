import { test, type Test } from 'tap'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import notImplemented = require('../..')
import { startRedis } from '../helpers/redis'

// A tier that another instance wrote to Redis with a time ahead of this instance's clock
// (its clock ran ahead, or something else wrote the key) was kept here for that skew plus
// `ttl`: the resolver was never asked again, and a downgraded tenant kept its plan's
// handler. A time from the future now counts as resolved now: kept for `ttl`, no longer.

const tierKey = 'fastify-not-implemented:tier:acme'

async function client (t: Test, port: number): Promise<Redis> {
  const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  t.teardown(() => redis.disconnect())
  await new Promise((resolve) => redis.once('ready', resolve))
  return redis
}

test('a tier stored with a time ahead of the clock answers for ttl, then the resolver is asked', async (t) => {
  const server = await startRedis((fn) => t.teardown(fn))
  const admin = await client(t, server.port)
  for (const at of [Date.now() + 600_000, '1e400']) {
    await admin.flushall()
    let calls = 0
    let handlerRuns = 0
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(notImplemented, {
      tiers: ['free', 'plus'],
      resolveTier: async () => { calls++; return 'free' },
      tierCache: { key: (request) => request.headers['x-tenant'] as string | undefined, ttl: 200, redis: await client(t, server.port) }
    })
    app.get('/reports', { config: { tier: 'plus' } }, async () => { handlerRuns++; return 'plus data' })
    await app.ready()
    // The stored answer: "plus", resolved ten minutes from now (or at an infinite time).
    await admin.set(tierKey, `["plus",${String(at)}]`, 'PX', 200)
    const ask = async (): Promise<number> => (await app.inject({ url: '/reports', headers: { 'x-tenant': 'acme' } })).statusCode
    const first = await ask()
    await new Promise((resolve) => setTimeout(resolve, 450))
    t.equal(await ask(), 501, `${String(at)}: past ttl the downgrade shows`)
    t.ok(calls >= 1, `${String(at)}: the resolver was asked again`)
    if (typeof at === 'number') t.equal(first, 200, 'within ttl the stored tier answered')
    else t.equal(first, 501, 'a time that is no number is no stored answer')
    t.equal(handlerRuns, typeof at === 'number' ? 1 : 0)
    await app.close()
  }
})
