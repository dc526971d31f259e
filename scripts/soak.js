#!/usr/bin/env node
'use strict'

// Soak test: mixed traffic from autocannon on loopback against an app using the plugin,
// for SOAK_SECONDS (default 60). The app runs in a child process so that its memory is
// measured alone. Every response is checked against the status (and error code) its
// request should get; the run fails on any other answer, on a socket error or timeout,
// on a 500 seen by the server, or on heap growth between the start and the end.
//
//   npm run build && node scripts/soak.js
//   SOAK_SECONDS=10 SOAK_CONNECTIONS=20 node scripts/soak.js

const { fork } = require('node:child_process')
const path = require('node:path')

const seconds = Number(process.env.SOAK_SECONDS ?? 60)
const connections = Number(process.env.SOAK_CONNECTIONS ?? 32)
// Heap growth allowed between the warmed-up start and the end, after a full GC each time.
const maxHeapGrowthMb = Number(process.env.SOAK_MAX_HEAP_GROWTH_MB ?? 16)

if (process.argv[2] === 'serve') serve().catch((error) => { console.error(error); process.exit(1) })
else main().catch((error) => { console.error(error); process.exit(1) })

async function serve () {
  const Fastify = require('fastify')
  const notImplemented = require(path.join(__dirname, '..'))
  const app = Fastify({ clientErrorHandler: notImplemented.clientErrorHandler })
  const unexpected = { serverErrors: 0 }
  const plans = new Set(['free', 'plus', 'pro'])
  // Registered, and awaited, before the routes: routes declared earlier are invisible to it.
  await app.register(notImplemented, {
    tiers: ['free', 'plus', 'pro'],
    // An async resolver, as one backed by a session store or an API would be.
    resolveTier: async (request) => {
      const match = /^Bearer (\w+)-/.exec(request.headers.authorization ?? '')
      return match !== null && plans.has(match[1]) ? match[1] : undefined
    },
    isFeatureEnabled: (feature, request) => /^Bearer pro-/.test(request.headers.authorization ?? ''),
    logLevel: 'silent'
  })
  app.get('/reports/:id', { config: { tier: 'plus' } }, async (request) => ({ id: request.params.id }))
  app.get('/beta', { config: { feature: 'beta' } }, async () => ({ beta: true }))
  app.post('/items', async () => ({ created: true }))
  app.get('/open', async () => ({ open: true }))
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 500 && reply.statusCode !== 501) unexpected.serverErrors++
  })
  process.on('message', (message) => {
    if (message === 'measure') {
      global.gc?.()
      const { rss, heapUsed } = process.memoryUsage()
      process.send({ rss, heapUsed, ...unexpected })
    }
    if (message === 'stop') app.close().then(() => process.exit(0))
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  process.send({ port: app.server.address().port })
}

// What each request must get. autocannon cycles through the list on every connection.
const categories = [
  { name: 'allowed (plan)', method: 'GET', path: '/reports/1', headers: { authorization: 'Bearer plus-1' }, status: 200 },
  { name: 'allowed (plan)', method: 'GET', path: '/reports/2', headers: { authorization: 'Bearer pro-2' }, status: 200 },
  { name: 'allowed (flag)', method: 'GET', path: '/beta', headers: { authorization: 'Bearer pro-3' }, status: 200 },
  { name: 'ungated', method: 'GET', path: '/open', headers: {}, status: 200 },
  { name: 'denied: plan', method: 'GET', path: '/reports/1', headers: { authorization: 'Bearer free-4' }, status: 501, code: 'FST_TIER_REQUIRED' },
  { name: 'denied: plan', method: 'GET', path: '/reports/3', headers: {}, status: 501, code: 'FST_TIER_REQUIRED' },
  { name: 'denied: flag', method: 'GET', path: '/beta', headers: { authorization: 'Bearer plus-5' }, status: 501, code: 'FST_FEATURE_DISABLED' },
  { name: '405', method: 'GET', path: '/items', headers: {}, status: 405, code: 'FST_METHOD_NOT_ALLOWED' },
  { name: '405', method: 'POST', path: '/reports/1', headers: { 'content-type': 'application/json' }, body: '{}', status: 405, code: 'FST_METHOD_NOT_ALLOWED' },
  { name: '501', method: 'DELETE', path: '/reports/1', headers: {}, status: 501, code: 'FST_METHOD_NOT_IMPLEMENTED' },
  { name: '501', method: 'TRACE', path: '/open', headers: {}, status: 501, code: 'FST_METHOD_NOT_IMPLEMENTED' },
  { name: 'OPTIONS', method: 'OPTIONS', path: '/reports/1', headers: {}, status: 204 },
  { name: '404', method: 'GET', path: '/nowhere', headers: {}, status: 404 },
  { name: '404', method: 'GET', path: '/reports/1/extra', headers: { authorization: 'Bearer plus-6' }, status: 404 },
  { name: 'bad URL', method: 'GET', path: '/reports/%E0%A4%A', headers: {}, status: 400, code: 'FST_ERR_BAD_URL' },
  { name: 'bad URL', method: 'POST', path: '/items/%', headers: {}, status: 400, code: 'FST_ERR_BAD_URL' }
]

async function main () {
  const autocannon = require('autocannon')
  const server = fork(__filename, ['serve'], { execArgv: ['--expose-gc'], stdio: 'inherit' })
  const messages = []
  let waiting = null
  server.on('message', (message) => {
    if (waiting !== null) {
      const resolve = waiting
      waiting = null
      resolve(message)
    } else {
      messages.push(message)
    }
  })
  const next = () => messages.length > 0 ? Promise.resolve(messages.shift()) : new Promise((resolve) => { waiting = resolve })
  const measure = () => { server.send('measure'); return next() }
  const { port } = await next()
  const url = `http://127.0.0.1:${port}`

  const tally = new Map()
  const problems = new Map()
  const requests = categories.map((category) => ({
    method: category.method,
    path: category.path,
    headers: category.headers,
    body: category.body,
    onResponse (status, body) {
      tally.set(category.name, (tally.get(category.name) ?? 0) + 1)
      let ok = status === category.status
      if (ok && category.code !== undefined) {
        try {
          ok = JSON.parse(body).code === category.code
        } catch {
          ok = false
        }
      }
      if (!ok) {
        const key = `${category.method} ${category.path} -> ${status}`
        problems.set(key, (problems.get(key) ?? 0) + 1)
      }
    }
  }))

  const run = (duration) => new Promise((resolve, reject) => {
    autocannon({ url, connections, duration, requests }, (error, result) => error ? reject(error) : resolve(result))
  })

  // Warm up (JIT, pools), then measure from there.
  await run(Math.min(5, Math.max(1, Math.round(seconds / 12))))
  tally.clear()
  problems.clear()
  const start = await measure()
  const samples = [start]
  const sampler = setInterval(() => { measure().then((m) => samples.push(m)) }, 10000)
  const result = await run(seconds)
  clearInterval(sampler)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const end = await measure()
  server.send('stop')

  const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1)
  const heapGrowth = (end.heapUsed - start.heapUsed) / 1024 / 1024
  const checked = [...tally.values()].reduce((a, b) => a + b, 0)
  const wrong = [...problems.values()].reduce((a, b) => a + b, 0)
  const report = {
    seconds,
    connections,
    requests: result.requests.total,
    checked,
    throughput: { average: Math.round(result.requests.average), p50: result.requests.p50, min: result.requests.min },
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    byCategory: Object.fromEntries(tally),
    unintended: Object.fromEntries(problems),
    errors: result.errors,
    timeouts: result.timeouts,
    resets: result.resets,
    serverErrors: end.serverErrors,
    rssMb: samples.concat(end).map((s) => Number(mb(s.rss))),
    heapUsedMb: { start: Number(mb(start.heapUsed)), end: Number(mb(end.heapUsed)), growth: Number(heapGrowth.toFixed(1)) }
  }
  console.log(JSON.stringify(report, null, 2))
  const failed = wrong > 0 || result.errors > 0 || result.timeouts > 0 || end.serverErrors > 0 || heapGrowth > maxHeapGrowthMb
  if (failed) console.error('soak: FAILED')
  else console.log(`soak: ok, ${result.requests.total} requests in ${seconds} s, ${report.throughput.average} req/s, p99 ${report.latencyMs.p99} ms, RSS ${report.rssMb[0]} -> ${report.rssMb[report.rssMb.length - 1]} MB`)
  process.exitCode = failed ? 1 : 0
}
