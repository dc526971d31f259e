'use strict'
// Heap after a flood of random tenant keys: 1,000,000 requests, each for a new random
// tenant, through the cache with `max: 10000`. Run with --expose-gc for settled figures:
//
//   node --expose-gc bench/tier-cache/heap.js [--keys 1000000]
const { randomUUID } = require('node:crypto')
const Fastify = require('fastify')
const { TierCache } = require('../../dist/tier-cache.js')
const { normalizeOptions } = require('../../dist/options.js')

const at = process.argv.indexOf('--keys')
const keys = at === -1 ? 1_000_000 : Number(process.argv[at + 1])
const settle = () => { if (global.gc) { global.gc(); global.gc() } }
const mb = (bytes) => Math.round(bytes / 1024 / 1024 * 10) / 10

async function main () {
  const settings = normalizeOptions({ tiers: ['free', 'plus'], resolveTier: () => 'plus', tierCache: { key: (request) => request.tenant, max: 10_000 } })
  const cache = new TierCache(settings, Fastify().log)
  settle()
  const before = process.memoryUsage().heapUsed
  let peak = before
  for (let i = 0; i < keys; i++) {
    await cache.resolve({ tenant: randomUUID() })
    if (i % 100_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed)
  }
  settle()
  const after = process.memoryUsage().heapUsed
  console.log(JSON.stringify({
    keys,
    max: 10_000,
    entriesKept: cache.size,
    heapUsedMB: { before: mb(before), after: mb(after), growth: mb(after - before), sampledPeak: mb(peak) },
    gcExposed: typeof global.gc === 'function'
  }, null, 2))
}

main().catch((error) => { console.error(error); process.exit(1) })
