'use strict'
// Shared by the entitlement cache's figure scripts: a real redis-server on a free loopback
// port, an app with a gated route, a percentile. They load the built package (dist/): run
// `npm run build` first.
const { spawn } = require('node:child_process')
const { createServer, connect } = require('node:net')
const Fastify = require('fastify')
const notImplemented = require('../..')

const tiers = ['free', 'plus', 'enterprise']

async function freePort () {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

async function startRedis () {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' })
  child.once('error', (error) => { throw new Error(`redis-server could not start (Debian: apt-get install redis-server): ${error.message}`) })
  for (let i = 0; ; i++) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => resolve(false))
    })
    if (ok) break
    if (i > 250) throw new Error('redis-server did not start')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { port, stop: () => child.kill('SIGKILL') }
}

async function redisClient (port) {
  const { Redis } = require('ioredis')
  const redis = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 50 })
  redis.on('error', () => {})
  await new Promise((resolve) => redis.once('ready', resolve))
  return redis
}

// An app with one route gated on `plus`; the tenant is the `x-tenant` header.
async function gatedApp (options, handler = () => 'ok', setUp = () => {}) {
  const app = Fastify()
  await app.register(notImplemented, { tiers, ...options })
  setUp(app)
  app.get('/plus', { config: { tier: 'plus' } }, async (request) => handler(request))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url: `http://127.0.0.1:${app.server.address().port}` }
}

const tenantKey = (request) => request.headers['x-tenant']

function percentile (sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

module.exports = { tiers, freePort, startRedis, redisClient, gatedApp, tenantKey, percentile }
