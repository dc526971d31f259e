'use strict'
// A resolver outage under load: 200 tenants, half of them cached before the outage, half
// never seen; half of each on `plus` (the route's tier), half on `free`. autocannon on
// loopback drives requests for random tenants through a warm-up, then through an outage
// in which the resolver throws. Counted by the server: 503s for cached and for cold
// tenants, and handler runs for callers below the route's tier (which must be 0).
//
//   node bench/tier-cache/outage.js [--outage 30] [--warmup 5]
const autocannon = require('autocannon')
const { gatedApp, tenantKey } = require('./common')

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}
const outageSeconds = arg('outage', 30)
const warmupSeconds = arg('warmup', 5)
const tenants = Array.from({ length: 200 }, (_, i) => ({ name: `t${i}`, plan: i % 2 === 0 ? 'plus' : 'free', cached: i < 100 }))
const byName = new Map(tenants.map((tenant) => [tenant.name, tenant]))

async function main () {
  let down = false
  let resolverCalls = 0
  const counts = { cached: { total: 0, unavailable: 0 }, cold: { total: 0, unavailable: 0 }, belowPlanHandlerRuns: 0, other: 0 }
  let phase = 'warmup'
  const { app, url } = await gatedApp({
    resolveTier: async (request) => {
      resolverCalls++
      if (down) throw new Error('billing API down')
      return byName.get(request.headers['x-tenant']).plan
    },
    tierCache: { key: tenantKey, ttl: 5000, staleIfError: 300_000 }
  }, (request) => {
    if (byName.get(request.headers['x-tenant']).plan !== 'plus') counts.belowPlanHandlerRuns++
    return 'ok'
  }, (app) => app.addHook('onResponse', async (request, reply) => {
    if (phase !== 'outage') return
    const tenant = byName.get(request.headers['x-tenant'])
    const bucket = tenant.cached ? counts.cached : counts.cold
    bucket.total++
    if (reply.statusCode === 503) bucket.unavailable++
    else if (reply.statusCode !== 200 && reply.statusCode !== 501) counts.other++
  }))
  // The warm-up asks for the cached half only.
  const run = (seconds, pool) => autocannon({
    url: `${url}/plus`,
    connections: 50,
    duration: seconds,
    requests: [{ setupRequest: (request) => ({ ...request, headers: { 'x-tenant': pool[Math.floor(Math.random() * pool.length)].name } }) }]
  })
  const warm = await run(warmupSeconds, tenants.filter((tenant) => tenant.cached))
  phase = 'outage'
  down = true
  const callsBefore = resolverCalls
  const outage = await run(outageSeconds, tenants)
  await app.close()
  const result = {
    outageSeconds,
    warmupRequests: warm.requests.total,
    outageRequests: outage.requests.total,
    requestsPerSecond: Math.round(outage.requests.average),
    cachedTenants: { requests: counts.cached.total, unavailable503: counts.cached.unavailable },
    coldTenants: { requests: counts.cold.total, unavailable503: counts.cold.unavailable, served: counts.cold.total - counts.cold.unavailable },
    handlerRunsBelowPlan: counts.belowPlanHandlerRuns,
    otherStatuses: counts.other,
    resolverCallsDuringOutage: resolverCalls - callsBefore,
    latencyP99Ms: outage.latency.p99
  }
  console.log(JSON.stringify(result, null, 2))
}

main().catch((error) => { console.error(error); process.exit(1) })
