import type { FastifyInstance } from 'fastify'
import type { Settings } from './options'
import { plainTierSource, TierCache, type TierSource } from './tier-cache'
import { invalidateTimeout, joinFleet } from './tier-fleet'
import { withTimeout } from './with-timeout'

// Builds what the gates ask for a caller's tier (the resolver itself, or the entitlement
// cache in front of it) and the `invalidateTier` decorator. Without `tierCache` nothing is
// cached, so `invalidateTier` has nothing to forget and resolves at once.
export function setUpTierCache (fastify: FastifyInstance, settings: Settings): TierSource {
  const options = settings.tierCache
  let invalidate = async (_key: string): Promise<void> => {}
  let source = plainTierSource(settings)
  if (options !== undefined) {
    const cache = new TierCache(settings, fastify.log)
    source = cache.source()
    invalidate = async (key) => { cache.forget(key) }
    if (options.redis !== undefined) {
      const fleet = joinFleet(options.redis, cache, options, settings.tierRank, settings.resolverTimeout, fastify.log)
      invalidate = fleet.invalidate
      // Invalidations reach this instance once it is subscribed: the app waits for that,
      // up to a limit, so that a Redis that is down delays no start-up for long.
      fastify.addHook('onReady', async () => { await withTimeout(fleet.subscribed, invalidateTimeout).catch(() => {}) })
      fastify.addHook('onClose', async () => fleet.close())
    }
  }
  fastify.decorate('invalidateTier', async function invalidateTier (key: string): Promise<void> {
    if (typeof key !== 'string') throw new TypeError(`fastify-not-implemented: invalidateTier(key) takes the tenant key that tierCache.key returns, a string; got ${typeof key}`)
    await invalidate(key)
  })
  return source
}
