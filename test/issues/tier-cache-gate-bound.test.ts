import { test } from 'tap'
import Fastify from 'fastify'

// The gate gave the entitlement cache no limit of its own (Node's longest timer): a cache
// that hung for any reason would have held the request for 24 days instead of failing
// closed. Its limit now lies past anything the cache takes, and within a timer's range.
const { TierCache } = require('../../dist/tier-cache.js') as typeof import('../../lib/tier-cache')
const { normalizeOptions, maxResolverTimeout } = require('../../dist/options.js') as typeof import('../../lib/options')

function limitFor (resolverTimeout: number): number {
  const settings = normalizeOptions({ tiers: ['free', 'plus'], resolveTier: () => 'plus', resolverTimeout, tierCache: { key: () => 'acme' } })
  return new TierCache(settings, Fastify().log).source().timeout
}

test('the gate bounds the cache: past twice the resolver\'s timeout, and never past a timer\'s range', async (t) => {
  t.equal(limitFor(1000), 4000, 'the default timeout: 4 s')
  t.ok(limitFor(50) > 2 * 50 + 500, 'room for a lease wait, an own call and Redis\'s limits')
  t.equal(limitFor(maxResolverTimeout), maxResolverTimeout, 'a longer delay would fire at once')
})
