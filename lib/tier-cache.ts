import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import { maxResolverTimeout, type ResolveTier, type Settings } from './options'
import type { TierCacheSettings } from './tier-cache-options'
import { LeastRecentlyUsed } from './lru'
import { shapeOf, summarizeCause } from './describe'
import { isThenable, withTimeout } from './with-timeout'

// What the gate calls for a caller's tier, and how long it lets it take. The cache keeps
// its own limit on the resolver (so that a stale tier can answer for one that timed out)
// and the gate's limit on the cache is longer than anything the cache takes: it never races
// it, and still bounds it.
export interface TierSource {
  resolve: (request: FastifyRequest) => unknown
  timeout: number
}

// A resolved tier as the cache and the fleet pass it: the tier (null: the caller has no
// plan) and when it was resolved, in ms since the epoch, so that every instance of a fleet
// ages it alike.
export interface Resolved {
  tier: string | null
  at: number
}

// How one tenant's tier is fetched on a miss: with a fleet, through Redis; else the resolver.
export type Fetch = (key: string, resolve: () => Promise<string | null>) => Promise<Resolved>

interface Entry extends Resolved {
  // While the resolver fails: when it last failed. 0 while it answers.
  failedAt: number
}

// The gate's own limit on the cache: past anything the cache and the fleet take (the
// resolver's timeout twice, when it waits on another instance's lease and then asks itself,
// plus Redis's own short limits), so it never cuts off a stale answer; and yet a limit, so
// that a cache that hangs for any reason still ends in the gate's 503. Node's longest timer
// at most: a longer delay would fire at once.
function lastBound (resolverTimeout: number): number {
  return Math.min(maxResolverTimeout, 3 * resolverTimeout + 1000)
}
// While the resolver fails, a stale tier answers at once, and a tenant's tier is asked for
// again at most this often per instance: the plan service is not hammered while it is down.
export const outageRetryInterval = 1000 // ms

// The time source of the cache; Date.now, so that instances on other hosts age a tier alike.
export const clock = { now: Date.now }

// The resolver itself (undefined where no route has a tier: then no gate calls it).
export function plainTierSource (settings: Settings): TierSource {
  return { resolve: settings.resolveTier as ResolveTier, timeout: settings.resolverTimeout }
}

// Remembers each tenant's tier for `ttl`, serves it while the resolver fails for another
// `staleIfError`, asks the resolver at most once at a time per tenant, and keeps at most
// `max` tenants. A fresh tier answers synchronously: no promise on the hot path.
export class TierCache {
  readonly #entries: LeastRecentlyUsed<Entry>
  readonly #inFlight = new Map<string, Promise<string | null>>()
  readonly #options: TierCacheSettings
  readonly #resolveTier: ResolveTier
  readonly #tierRank: ReadonlyMap<string, number>
  readonly #tiers: readonly string[]
  readonly #timeout: number
  readonly #log: FastifyBaseLogger
  #fetch: Fetch

  constructor (settings: Settings, log: FastifyBaseLogger) {
    this.#options = settings.tierCache as TierCacheSettings
    this.#entries = new LeastRecentlyUsed(this.#options.max)
    this.#resolveTier = settings.resolveTier as ResolveTier
    this.#tierRank = settings.tierRank
    this.#tiers = settings.tiers
    this.#timeout = settings.resolverTimeout
    this.#log = log
    this.#fetch = async (_key, resolve) => ({ tier: await resolve(), at: clock.now() })
  }

  // The fleet (tier-fleet.ts) fetches through Redis.
  useFetch (fetch: Fetch): void {
    this.#fetch = fetch
  }

  source (): TierSource {
    return { resolve: (request) => this.resolve(request), timeout: lastBound(this.#timeout) }
  }

  // Hot path of every gated request of a cached app.
  resolve (request: FastifyRequest): unknown {
    const key = this.#options.key(request)
    if (key === undefined) return this.#uncached(request)
    if (typeof key !== 'string') throw new TypeError(`tierCache.key returned ${shapeOf(key)}, not a string or undefined`)
    const entry = this.#entries.get(key)
    if (entry !== undefined) {
      const now = clock.now()
      const age = now - entry.at
      // A negative age (the clock stepped back) is no proof of freshness: ask again.
      if (age >= 0 && age < this.#options.ttl) return entry.tier
      // Stale if error: during an outage the tier answers at once, and is asked for again
      // in the background, once per interval.
      if (entry.failedAt !== 0 && age < this.#options.ttl + this.#options.staleIfError) {
        if (!this.#inFlight.has(key) && now - entry.failedAt >= outageRetryInterval) {
          this.#start(key, request).catch(() => {})
        }
        return entry.tier
      }
    }
    return this.#inFlight.get(key) ?? this.#start(key, request)
  }

  // Forgets the tenant's tier here, and any answer on its way: the next request asks again.
  forget (key: string): void {
    this.#entries.delete(key)
    this.#inFlight.delete(key)
  }

  // Forgets every tenant: what a fleet member does when it may have missed invalidations.
  clear (): void {
    this.#entries.clear()
    this.#inFlight.clear()
  }

  get size (): number {
    return this.#entries.size
  }

  // A request that names no tenant: the resolver as without the cache, with its timeout.
  #uncached (request: FastifyRequest): unknown {
    const value = this.#resolveTier(request)
    return isThenable(value) ? withTimeout(value, this.#timeout) : value
  }

  // The resolver's answer within the timeout, checked: garbage is a failure like a throw.
  async #ask (request: FastifyRequest): Promise<string | null> {
    const value = await withTimeout(Promise.resolve().then(() => this.#resolveTier(request)), this.#timeout)
    if (value == null) return null
    if (typeof value !== 'string' || !this.#tierRank.has(value)) {
      throw new TypeError(`resolveTier returned ${shapeOf(value)}, which is not one of the tiers (${this.#tiers.join(', ')})`)
    }
    return value
  }

  #start (key: string, request: FastifyRequest): Promise<string | null> {
    const call: Promise<string | null> = this.#settle(key, request, () => this.#inFlight.get(key) === call)
    this.#inFlight.set(key, call)
    return call
  }

  // `current()` tells whether this call is still the tenant's own: an invalidation while
  // the answer was on its way hands it to the requests that waited for it (they came
  // before) and keeps nothing.
  async #settle (key: string, request: FastifyRequest, current: () => boolean): Promise<string | null> {
    let resolved: Resolved
    try {
      resolved = await this.#fetch(key, () => this.#ask(request))
    } catch (cause) {
      if (current()) this.#inFlight.delete(key)
      return this.#fallBack(key, cause)
    }
    if (current()) {
      this.#inFlight.delete(key)
      this.#entries.set(key, { ...resolved, failedAt: 0 })
    }
    return resolved.tier
  }

  // Stale if error: the tenant's tier while it is within ttl + staleIfError, else the failure.
  #fallBack (key: string, cause: unknown): string | null {
    const entry = this.#entries.peek(key)
    const now = clock.now()
    if (entry === undefined || now - entry.at >= this.#options.ttl + this.#options.staleIfError) throw cause
    if (entry.failedAt === 0) this.#warn(key, entry, now, cause)
    entry.failedAt = now
    return entry.tier
  }

  // One line per tenant per outage: the first failure; the next success ends the outage.
  #warn (key: string, entry: Entry, now: number, cause: unknown): void {
    const err = summarizeCause(cause)
    try {
      this.#log.warn({
        notImplemented: { tenant: key, tier: entry.tier, age: now - entry.at, servedUntil: new Date(entry.at + this.#options.ttl + this.#options.staleIfError).toISOString() },
        err
      }, `resolveTier failed; the cached tier answers for this tenant until it succeeds again: ${err.message}`)
    } catch {}
  }
}
