'use strict'
// Concurrent first requests for one tenant: how many resolver calls they make, on one
// instance, and on three instances sharing a redis-server. Real HTTP on loopback.
//
//   node bench/tier-cache/coalesce.js [--requests 1000]
const { request, Agent } = require('undici')
const { gatedApp, startRedis, redisClient, tenantKey } = require('./common')

const at = process.argv.indexOf('--requests')
const perInstance = at === -1 ? 1000 : Number(process.argv[at + 1])

async function burst (urls, tenant) {
  const dispatcher = new Agent({ connections: 256, pipelining: 1 })
  const answers = await Promise.all(urls.flatMap((url) => Array.from({ length: perInstance }, async () => {
    const res = await request(`${url}/plus`, { headers: { 'x-tenant': tenant }, dispatcher })
    await res.body.dump()
    return res.statusCode
  })))
  await dispatcher.close()
  return answers
}

async function main () {
  const calls = new Map()
  const resolveTier = async (request) => {
    const instance = request.server.instanceName
    calls.set(instance, (calls.get(instance) ?? 0) + 1)
    await new Promise((resolve) => setTimeout(resolve, 50))
    return 'plus'
  }
  const name = (label) => (app) => app.decorate('instanceName', label)

  const single = await gatedApp({ resolveTier, tierCache: { key: tenantKey } }, undefined, name('single'))
  const alone = await burst([single.url], 'acme')
  await single.app.close()

  const redis = await startRedis()
  const clients = []
  const fleet = []
  for (const label of ['a', 'b', 'c']) {
    const client = await redisClient(redis.port)
    clients.push(client)
    fleet.push(await gatedApp({ resolveTier, tierCache: { key: tenantKey, redis: client } }, undefined, name(label)))
  }
  const shared = await burst(fleet.map((instance) => instance.url), 'globex')
  for (const instance of fleet) await instance.app.close()
  for (const client of clients) client.disconnect()
  redis.stop()

  console.log(JSON.stringify({
    oneInstance: { requests: alone.length, served: alone.filter((s) => s === 200).length, resolverCalls: calls.get('single') },
    threeInstancesSharingRedis: {
      requests: shared.length,
      served: shared.filter((s) => s === 200).length,
      resolverCallsPerInstance: { a: calls.get('a') ?? 0, b: calls.get('b') ?? 0, c: calls.get('c') ?? 0 },
      resolverCallsForTheFleet: (calls.get('a') ?? 0) + (calls.get('b') ?? 0) + (calls.get('c') ?? 0)
    }
  }, null, 2))
}

main().catch((error) => { console.error(error); process.exit(1) })
