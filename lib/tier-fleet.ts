import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { RedisLike, RedisSubscriberLike, TierCacheSettings } from './tier-cache-options'
import { clock, type Resolved, type TierCache } from './tier-cache'
import { TimeoutError, withTimeout } from './with-timeout'

// How the instances of a fleet share resolved tiers and invalidations through one Redis
// (docs/entitlement-cache.md has the whole design). Redis is a help, never a dependency:
// any Redis call that fails, or takes longer than `redisTimeout`, and a client that is not
// connected, leave the instance to its own cache and the resolver.

const prefix = 'fastify-not-implemented:'
export const invalidateChannel = `${prefix}invalidate`
export const acknowledgeChannel = `${prefix}invalidated`
export const tierKey = (key: string): string => `${prefix}tier:${key}`
export const generationKey = (key: string): string => `${prefix}generation:${key}`
export const leaseKey = (key: string): string => `${prefix}lease:${key}`

// Longest wait on one Redis call: a slow Redis costs a miss this much, then the resolver runs.
export const redisTimeout = 100 // ms
// How often an instance that waits for another's resolver call looks for its answer.
export const leasePollInterval = 5 // ms
// How long `invalidateTier` waits for every subscribed instance to confirm.
export const invalidateTimeout = 1000 // ms

// Stores a resolved tier unless the tenant was invalidated since it was asked for (its
// generation moved), and ends the lease if it is still the caller's.
const storeScript = `
if (redis.call('get', KEYS[2]) or '0') == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
if redis.call('get', KEYS[3]) == ARGV[4] then redis.call('del', KEYS[3]) end
return 1`

// Ends the lease if it is still the caller's: a failed call lets the others ask at once.
const releaseScript = `
if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end
return 1`

// Moves the tenant's generation (so no answer asked for before lands after) and drops its tier.
const invalidateScript = `
redis.call('incr', KEYS[2])
redis.call('pexpire', KEYS[2], ARGV[1])
redis.call('del', KEYS[1], KEYS[3])
return 1`

// What a failed Redis call leaves behind: nothing; the caller has already moved on.
const ignore = (): void => {}

interface PendingInvalidation {
  confirmed: number
  expected: number
  // Settles the wait once every instance that got the message has confirmed it.
  check: () => void
}

export interface Fleet {
  // Settles once the first subscription is made, or fails (Redis down: the app starts anyway).
  subscribed: Promise<void>
  invalidate (key: string): Promise<void>
  close (): void
}

export function joinFleet (redis: RedisLike, cache: TierCache, options: TierCacheSettings, tierRank: ReadonlyMap<string, number>, resolverTimeout: number, log: FastifyBaseLogger): Fleet {
  const { ttl } = options
  const lease = resolverTimeout + 2 * redisTimeout
  // Outlives any answer asked for under an older generation (see invalidateScript).
  const generationTtl = ttl + 4 * lease
  const pending = new Map<string, PendingInvalidation>()
  const up = (): boolean => redis.status === 'ready'
  // `redisTimeout` measured as time the process could have read the answer in: when the
  // timer fires, a reply that came in while the event loop was busy elsewhere is read first
  // (the poll phase runs before setImmediate), so a busy process is not taken for a slow Redis.
  const timed = <T>(call: () => Promise<T>): Promise<T> => new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => setImmediate(() => reject(new TimeoutError(redisTimeout))), redisTimeout)
    timer.unref()
    Promise.resolve().then(call).then(resolve, reject).finally(() => clearTimeout(timer))
  })

  function parse (stored: string | null): Resolved | undefined {
    if (stored === null) return undefined
    try {
      const [tier, at] = JSON.parse(stored) as [unknown, unknown]
      // A time ahead of this instance's clock (another instance's clock runs ahead, or a bad
      // write) counts as resolved now: kept for `ttl` from here, never longer.
      if ((tier === null || (typeof tier === 'string' && tierRank.has(tier))) && typeof at === 'number' && Number.isFinite(at)) return { tier, at: Math.min(at, clock.now()) }
    } catch {}
    return undefined
  }

  const fresh = (resolved: Resolved | undefined): resolved is Resolved => resolved !== undefined && clock.now() - resolved.at < ttl

  // Another instance holds the tenant's lease: its answer, once it is in Redis; undefined
  // when the lease ends without one, or Redis stops answering. Real time, not the cache's
  // clock: this is a wait, not an age.
  async function answerOfLeaseHolder (key: string): Promise<Resolved | undefined> {
    const deadline = performance.now() + lease
    while (performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, leasePollInterval))
      let read: Array<string | null>
      try {
        read = await timed(() => redis.mget(tierKey(key), leaseKey(key)))
      } catch {
        return undefined
      }
      const shared = parse(read[0])
      if (fresh(shared)) return shared
      if (read[1] === null) return undefined
    }
    return undefined
  }

  async function fetch (key: string, resolve: () => Promise<string | null>): Promise<Resolved> {
    const own = async (): Promise<Resolved> => ({ tier: await resolve(), at: clock.now() })
    if (!up()) return await own()
    let generation: string
    let leased: boolean
    const token = randomUUID()
    try {
      const [stored, seen] = await timed(() => redis.mget(tierKey(key), generationKey(key)))
      const shared = parse(stored)
      if (fresh(shared)) return shared
      generation = seen ?? '0'
      leased = await timed(() => redis.set(leaseKey(key), token, 'PX', lease, 'NX')) === 'OK'
    } catch {
      return await own()
    }
    if (!leased) {
      const answer = await answerOfLeaseHolder(key)
      if (answer !== undefined) return answer
    }
    // Both scripts end the lease only if it is this call's (the token): not another's.
    let resolved: Resolved
    try {
      resolved = await own()
    } catch (error) {
      timed(() => redis.eval(releaseScript, 1, leaseKey(key), token)).catch(ignore)
      throw error
    }
    timed(() => redis.eval(storeScript, 3, tierKey(key), generationKey(key), leaseKey(key), generation, JSON.stringify([resolved.tier, resolved.at]), ttl, token))
      .catch(ignore)
    return resolved
  }

  // Every instance, this one too, forgets the tenant when told, and says so.
  function onMessage (channel: string, message: string): void {
    if (channel === invalidateChannel) {
      let id: unknown, key: unknown
      try {
        [id, key] = JSON.parse(message) as [unknown, unknown]
      } catch {
        return
      }
      if (typeof id !== 'string' || typeof key !== 'string') return
      cache.forget(key)
      timed(() => redis.publish(acknowledgeChannel, id)).catch(ignore)
    } else {
      const waiting = pending.get(message)
      if (waiting === undefined) return
      waiting.confirmed++
      waiting.check()
    }
  }

  cache.useFetch(fetch)
  const subscriber: RedisSubscriberLike = redis.duplicate()
  let connectedBefore = false
  // Errors are the connection's; ioredis reconnects on its own. An unhandled 'error'
  // event would end the process.
  subscriber.on('error', ignore)
  subscriber.on('message', onMessage)
  // Whenever the subscription (re)connects, this instance may have missed invalidations:
  // it forgets every tenant. (Invalidations drop the tier from Redis before they are
  // published, so what it reads from Redis afterwards is current.)
  subscriber.on('ready', () => {
    cache.clear()
    if (connectedBefore) log.info('fastify-not-implemented: reconnected to Redis; the local tier cache was emptied, as invalidations may have been missed')
    connectedBefore = true
  })
  const subscribed = subscriber.subscribe(invalidateChannel, acknowledgeChannel).then(ignore, ignore)

  // Resolves once every instance subscribed when it was published (this one too) has
  // forgotten the tenant; rejects, having forgotten it here, when that cannot be known.
  async function invalidate (key: string): Promise<void> {
    cache.forget(key)
    const id = randomUUID()
    let settle!: () => void
    const confirmed = new Promise<void>((resolve) => { settle = resolve })
    const waiting: PendingInvalidation = {
      confirmed: 0,
      expected: Infinity,
      check () { if (waiting.confirmed >= waiting.expected) settle() }
    }
    pending.set(id, waiting)
    try {
      if (!up()) throw new Error('the Redis client is not connected')
      await timed(() => redis.eval(invalidateScript, 3, tierKey(key), generationKey(key), leaseKey(key), generationTtl))
      waiting.expected = await timed(() => redis.publish(invalidateChannel, JSON.stringify([id, key])))
      waiting.check()
      await withTimeout(confirmed, invalidateTimeout)
    } catch (error) {
      const counted = waiting.expected === Infinity ? '' : ` (${waiting.confirmed} of ${waiting.expected} subscribed instances confirmed)`
      throw new Error(`fastify-not-implemented: invalidateTier(${JSON.stringify(key)}) forgot the tier on this instance, but other instances may still hold it for up to ${ttl} ms: ${(error as Error).message}${counted}`, { cause: error })
    } finally {
      pending.delete(id)
    }
  }

  return {
    subscribed,
    invalidate,
    close () {
      subscriber.disconnect()
    }
  }
}
