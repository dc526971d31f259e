'use strict'
// Invalidation across three instances sharing a redis-server: each round changes a
// tenant's plan, warms the old tier into all three local caches, calls `invalidateTier`
// on one instance (in turn) and times it; then, at once, asks every instance over HTTP and
// counts any answer made from the old tier. Latency p50/p99 over the rounds.
//
//   node bench/tier-cache/invalidation.js [--rounds 1000]
const { request } = require('undici')
const { gatedApp, startRedis, redisClient, tenantKey, percentile } = require('./common')

const at = process.argv.indexOf('--rounds')
const rounds = at === -1 ? 1000 : Number(process.argv[at + 1])

async function status (url, tenant) {
  const res = await request(`${url}/plus`, { headers: { 'x-tenant': tenant } })
  await res.body.dump()
  return res.statusCode
}

async function main () {
  const redis = await startRedis()
  const plans = new Map()
  const clients = []
  const fleet = []
  for (let i = 0; i < 3; i++) {
    const client = await redisClient(redis.port)
    clients.push(client)
    fleet.push(await gatedApp({ resolveTier: (request) => plans.get(request.headers['x-tenant']), tierCache: { key: tenantKey, redis: client } }))
  }
  const latencies = []
  let staleAnswers = 0
  let checks = 0
  for (let round = 0; round < rounds; round++) {
    const tenant = `tenant-${round % 50}`
    const old = round % 2 === 0 ? 'free' : 'plus'
    plans.set(tenant, old)
    await fleet[0].app.invalidateTier(tenant)
    for (const { url } of fleet) await status(url, tenant)
    const fresh = old === 'free' ? 'plus' : 'free'
    plans.set(tenant, fresh)
    const started = process.hrtime.bigint()
    await fleet[round % 3].app.invalidateTier(tenant)
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6)
    const expected = fresh === 'plus' ? 200 : 501
    const seen = await Promise.all(fleet.map(({ url }) => status(url, tenant)))
    checks += seen.length
    staleAnswers += seen.filter((code) => code !== expected).length
  }
  for (const { app } of fleet) await app.close()
  for (const client of clients) client.disconnect()
  redis.stop()
  latencies.sort((a, b) => a - b)
  const ms = (value) => Math.round(value * 100) / 100
  console.log(JSON.stringify({
    rounds,
    invalidateTierMs: { p50: ms(percentile(latencies, 50)), p99: ms(percentile(latencies, 99)), max: ms(latencies[latencies.length - 1]) },
    requestsAfterInvalidation: checks,
    answeredWithTheOldTier: staleAnswers
  }, null, 2))
}

main().catch((error) => { console.error(error); process.exit(1) })
