import { test, type Test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { Redis } from 'ioredis'
import notImplemented = require('..')
import { counted, tiers } from './helpers/gating'
import { startRedis, type RedisServer } from './helpers/redis'
import { freePort } from './helpers/nginx'

// Three instances of an app sharing a real redis-server: resolved tiers and invalidations
// are shared, and Redis down, slow or back again never fails a request open or with a 500.
const { clock } = require('../dist/tier-cache.js') as typeof import('../lib/tier-cache')
const { tierKey, leaseKey, invalidateChannel, acknowledgeChannel, redisTimeout } = require('../dist/tier-fleet.js') as typeof import('../lib/tier-fleet')

type Options = NonNullable<Parameters<typeof notImplemented>[1]>
type Resolver = (request: FastifyRequest) => unknown

const ttl = 2000
const tenantKey = (request: FastifyRequest): string | undefined => request.headers['x-tenant'] as string | undefined
const asTenant = (tenant: string): { url: string, headers: Record<string, string> } => ({ url: '/plus', headers: { 'x-tenant': tenant } })
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

// An ioredis client as an app would make it, reconnecting quickly for the tests.
async function client (t: Test, port: number, ready = true): Promise<Redis> {
  const redis = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 50, maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  t.teardown(() => redis.disconnect())
  if (ready) await new Promise((resolve) => redis.once('ready', resolve))
  return redis
}

interface Fleet {
  apps: FastifyInstance[]
  resolver: ReturnType<typeof counted<[FastifyRequest], unknown>>
  handler: { calls: number }
  admin: Redis
}

async function fleet (t: Test, server: RedisServer, resolve: Resolver, options: Partial<Options> = {}): Promise<Fleet> {
  const resolver = counted(resolve)
  const handler = counted(() => 'served')
  const apps: FastifyInstance[] = []
  for (let i = 0; i < 3; i++) {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(notImplemented, {
      tiers,
      resolveTier: resolver as Options['resolveTier'],
      // Long enough that a loaded machine does not outlive a lease by accident.
      resolverTimeout: 1000,
      tierCache: { key: tenantKey, ttl, staleIfError: 10_000, redis: await client(t, server.port) },
      ...options
    })
    app.get('/plus', { config: { tier: 'plus' } }, async () => handler())
    await app.ready()
    apps.push(app)
  }
  return { apps, resolver, handler, admin: await client(t, server.port) }
}

// Waits until the tenant's tier is in Redis (an instance writes it after answering).
async function stored (admin: Redis, tenant: string): Promise<void> {
  while (await admin.get(tierKey(tenant)) === null) await sleep(2)
}

const statuses = async (apps: FastifyInstance[], tenant: string): Promise<number[]> =>
  await Promise.all(apps.map(async (app) => (await app.inject(asTenant(tenant))).statusCode))

test('the fleet', async (t) => {
  const server = await startRedis((fn) => t.teardown(fn))

  t.test('a tier resolved on one instance answers on the others from Redis, with no resolver call', async (t) => {
    const { apps, resolver, admin } = await fleet(t, server, () => 'plus')
    t.equal((await apps[0].inject(asTenant('t1'))).statusCode, 200)
    await stored(admin, 't1')
    t.same(await statuses(apps, 't1'), [200, 200, 200])
    t.same(await statuses(apps, 't1'), [200, 200, 200])
    t.equal(resolver.calls, 1, 'one resolver call for the fleet')
  })

  t.test('concurrent first requests on three instances make one resolver call for the fleet', async (t) => {
    const { apps, resolver, handler } = await fleet(t, server, () => sleep(100).then(() => 'plus'))
    const answers = await Promise.all(apps.flatMap((app) => Array.from({ length: 100 }, () => app.inject(asTenant('t2')))))
    t.equal(answers.filter((res) => res.statusCode === 200).length, 300, 'all 300 served')
    t.equal(resolver.calls, 1, 'one call')
    t.equal(handler.calls, 300)
  })

  t.test('invalidateTier on one instance is seen by every instance before it resolves', async (t) => {
    let plan = 'free'
    const { apps, resolver, admin } = await fleet(t, server, () => plan)
    await apps[0].inject(asTenant('t3'))
    await stored(admin, 't3')
    t.same(await statuses(apps, 't3'), [501, 501, 501])
    plan = 'enterprise'
    t.same(await statuses(apps, 't3'), [501, 501, 501], 'each instance still has free')
    await apps[1].invalidateTier('t3')
    t.same(await statuses(apps, 't3'), [200, 200, 200], 'the upgrade shows on all three at once')
    t.ok(resolver.calls <= 3, 'the new tier is asked for at most once per instance')
  })

  t.test('after ttl the fleet asks the resolver again, once', async (t) => {
    const time = { now: 5_000_000 }
    const real = clock.now
    clock.now = () => time.now
    t.teardown(() => { clock.now = real })
    const { apps, resolver } = await fleet(t, server, () => sleep(50).then(() => 'plus'))
    t.same(await statuses(apps, 't4'), [200, 200, 200])
    t.equal(resolver.calls, 1)
    time.now += ttl
    t.same(await statuses(apps, 't4'), [200, 200, 200])
    t.equal(resolver.calls, 2)
  })

  t.test('an answer asked for before an invalidation never lands in Redis after it', async (t) => {
    const releases: Array<(tier: string) => void> = []
    const { apps, admin } = await fleet(t, server, () => new Promise((resolve) => { releases.push(resolve) }))
    const before = apps[0].inject(asTenant('t5'))
    await sleep(30)
    await apps[1].invalidateTier('t5')
    releases[0]('plus')
    t.equal((await before).statusCode, 200, 'the request that came first gets the old answer')
    await sleep(30)
    t.equal(await admin.get(tierKey('t5')), null, 'and Redis keeps nothing of it')
    const after = apps[2].inject(asTenant('t5'))
    await sleep(30)
    releases[1]('free')
    t.equal((await after).statusCode, 501, 'the next request asks again')
    t.equal(releases.length, 2)
  })

  t.test('what is not a tier in Redis is ignored: the resolver answers', async (t) => {
    const { apps, resolver, admin } = await fleet(t, server, () => 'plus')
    for (const [i, stored] of ['not json', '["gold", 1]', '[null, "yesterday"]', '{}'].entries()) {
      await admin.set(tierKey(`t6-${i}`), stored)
      t.equal((await apps[0].inject(asTenant(`t6-${i}`))).statusCode, 200, stored)
    }
    t.equal(resolver.calls, 4)
  })

  t.test('a lease left by an instance that died is waited out, then this instance asks', async (t) => {
    const { apps, resolver, admin } = await fleet(t, server, () => 'plus', { resolverTimeout: 200 })
    await admin.set(leaseKey('t7'), 'dead-instance', 'PX', 60_000)
    const started = performance.now()
    t.equal((await apps[0].inject(asTenant('t7'))).statusCode, 200)
    const took = performance.now() - started
    t.ok(took >= 200 + 2 * redisTimeout - 20, `it waited the lease (${Math.round(took)} ms)`)
    t.equal(resolver.calls, 1)
  })

  t.test('a lease holder whose resolver fails lets the others ask at once', async (t) => {
    let calls = 0
    const { apps, resolver, admin } = await fleet(t, server, () => {
      const failing = ++calls === 1
      return sleep(100).then(() => { if (failing) throw new Error('down'); return 'plus' })
    }, { resolverTimeout: 1000 })
    const first = apps[0].inject(asTenant('t8'))
    while (await admin.get(leaseKey('t8')) === null) await sleep(2)
    const started = performance.now()
    const second = apps[1].inject(asTenant('t8'))
    t.equal((await first).statusCode, 503, 'the holder\'s call failed')
    t.equal((await second).statusCode, 200, 'the waiter asked itself')
    const waited = performance.now() - started
    t.ok(waited < 1000, `long before the lease of ${1000 + 2 * redisTimeout} ms would have ended (${Math.round(waited)} ms)`)
    t.equal(resolver.calls, 2)
  })

  t.test('a slow Redis delays a miss by at most its own timeout; nothing fails', async (t) => {
    const { apps, resolver, admin } = await fleet(t, server, () => 'plus')
    await apps[0].inject(asTenant('t9-warm'))
    await admin.call('CLIENT', 'PAUSE', '1000', 'ALL')
    const started = performance.now()
    t.same(await statuses(apps, 't9'), [200, 200, 200])
    t.same(await statuses(apps, 't9-warm'), [200, 200, 200])
    const took = performance.now() - started
    t.ok(took < 800, `answered within ${Math.round(took)} ms while Redis was paused for 1000 ms`)
    t.ok(resolver.calls >= 4)
    await sleep(1000)
  })

  t.test('an instance waiting on another\'s lease resolves itself when Redis stops answering', async (t) => {
    const { apps, resolver, admin } = await fleet(t, server, () => 'plus')
    await admin.set(leaseKey('t10'), 'other-instance', 'PX', 60_000)
    const pending = apps[0].inject(asTenant('t10'))
    await sleep(20)
    await admin.call('CLIENT', 'PAUSE', '300', 'ALL')
    t.equal((await pending).statusCode, 200)
    t.equal(resolver.calls, 1)
    await sleep(300)
  })

  t.test('invalidateTier rejects, naming the count, when an instance that got the message does not confirm', async (t) => {
    const { apps, resolver } = await fleet(t, server, () => 'plus')
    const silent = await client(t, server.port)
    await silent.subscribe(invalidateChannel)
    const talker = await client(t, server.port)
    // Garbage on the channels changes nothing.
    await talker.publish(invalidateChannel, 'not json')
    await talker.publish(invalidateChannel, '[1, 2]')
    await talker.publish(acknowledgeChannel, 'unknown-id')
    await apps[0].inject(asTenant('t11'))
    await t.rejects(apps[0].invalidateTier('t11'), {
      message: /^fastify-not-implemented: invalidateTier\("t11"\) forgot the tier on this instance, but other instances may still hold it for up to 2000 ms: no answer within 1000 ms \(3 of 4 subscribed instances confirmed\)$/
    })
    await apps[0].inject(asTenant('t11'))
    t.equal(resolver.calls, 2, 'it was forgotten here all the same')
  })

  t.test('Redis killed and restarted: requests carry on, invalidateTier says what it could not do, then invalidations resume', async (t) => {
    let plan = 'free'
    const { apps, resolver, handler } = await fleet(t, server, () => plan)
    t.same(await statuses(apps, 't12'), [501, 501, 501])
    await server.kill()
    await sleep(100)
    t.same(await statuses(apps, 't12'), [501, 501, 501], 'the local cache answers')
    plan = 'plus'
    t.same(await statuses(apps, 't12-new'), [200, 200, 200], 'a new tenant: the resolver answers on each instance')
    await t.rejects(apps[0].invalidateTier('t12'), { message: /forgot the tier on this instance, but other instances may still hold it for up to 2000 ms: the Redis client is not connected$/ })
    t.same(await statuses(apps, 't12'), [200, 501, 501], 'forgotten on the instance that was asked')
    await server.start()
    for (let i = 0; i < 100; i++) {
      try {
        await apps[0].invalidateTier('t12')
        break
      } catch {
        await sleep(50)
      }
    }
    plan = 'enterprise'
    await apps[2].invalidateTier('t12')
    const res = await Promise.all(apps.map((app) => app.inject({ url: '/plus', headers: { 'x-tenant': 't12' } })))
    t.same(res.map((r) => r.statusCode), [200, 200, 200], 'every instance reconnected and follows invalidations again')
    t.equal(res.filter((r) => r.statusCode === 500).length, 0)
    t.ok(resolver.calls >= 4)
    t.ok(handler.calls >= 7)
  })

  t.test('a Redis that is down at start-up: the app starts, the resolver answers', async (t) => {
    const port = await freePort()
    const app = Fastify()
    t.teardown(() => app.close())
    const resolver = counted(() => 'plus')
    await app.register(notImplemented, { tiers, resolveTier: resolver, tierCache: { key: tenantKey, redis: await client(t, port, false) } })
    app.get('/plus', { config: { tier: 'plus' } }, async () => 'served')
    const started = performance.now()
    await app.ready()
    t.ok(performance.now() - started < 3000, 'start-up waits for the subscription about a second, not for Redis')
    t.equal((await app.inject(asTenant('t13'))).statusCode, 200)
    t.equal((await app.inject(asTenant('t13'))).statusCode, 200)
    t.equal(resolver.calls, 1, 'and the local cache keeps it')
  })
})
