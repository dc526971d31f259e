'use strict'
// CPU per gated request: the plugin with a synchronous resolver and no cache, against the
// same with `tierCache` and every tenant's tier cached. The server runs in this process and
// autocannon in a child process, so `process.cpuUsage()` here is the server's alone. The
// two variants alternate, each run `--rounds` times, and the medians are compared.
//
//   node bench/tier-cache/cpu.js [--duration 10] [--rounds 3]
const { execFile } = require('node:child_process')
const { join } = require('node:path')
const { gatedApp, tenantKey } = require('./common')

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}
const duration = arg('duration', 10)
const rounds = arg('rounds', 3)
const autocannonBin = join(require.resolve('autocannon'), '..', 'autocannon.js')

function load (url) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [autocannonBin, '-c', '50', '-d', String(duration), '-j', '-H', 'x-tenant=acme', `${url}/plus`], { maxBuffer: 1 << 24 }, (error, stdout) => {
      if (error) reject(error)
      else resolve(JSON.parse(stdout))
    })
  })
}

async function measure (options) {
  const { app, url } = await gatedApp({ ...options })
  await load(url).catch(() => {}) // warm-up, not counted
  const before = process.cpuUsage()
  const result = await load(url)
  const used = process.cpuUsage(before)
  await app.close()
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`unexpected answers: ${result.non2xx} non-2xx, ${result.errors} errors`)
  return { requests: result.requests.total, microsecondsPerRequest: (used.user + used.system) / result.requests.total }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function main () {
  const variants = {
    uncachedSyncResolver: { resolveTier: () => 'plus' },
    cachedTier: { resolveTier: () => 'plus', tierCache: { key: tenantKey } }
  }
  const samples = { uncachedSyncResolver: [], cachedTier: [] }
  for (let round = 0; round < rounds; round++) {
    for (const [name, options] of Object.entries(variants)) {
      const sample = await measure(options)
      samples[name].push(sample.microsecondsPerRequest)
      console.error(`round ${round + 1} ${name}: ${sample.microsecondsPerRequest.toFixed(2)} µs CPU per request over ${sample.requests} requests`)
    }
  }
  const uncached = median(samples.uncachedSyncResolver)
  const cached = median(samples.cachedTier)
  console.log(JSON.stringify({
    cpuMicrosecondsPerRequest: { uncachedSyncResolver: Math.round(uncached * 100) / 100, cachedTier: Math.round(cached * 100) / 100 },
    ratioCachedToUncached: Math.round((cached / uncached) * 1000) / 1000,
    rounds,
    durationSeconds: duration
  }, null, 2))
}

main().catch((error) => { console.error(error); process.exit(1) })
