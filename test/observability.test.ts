import { test } from 'tap'
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel'
import { connect } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { metrics } from '@opentelemetry/api'
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import notImplemented = require('..')
import { listen } from './helpers/http'
import type { Decision, ResolverCall } from '../lib/decisions'

const { diagnosticsChannels, openTelemetryMetrics } = notImplemented

// The messages are declared twice: in lib/decisions.ts, which makes them, and in the public
// types, which readers see. npm test type-checks this file, so the two cannot drift apart.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
export const decisionTypesAgree: Equal<Decision, notImplemented.DecisionMessage> = true
export const resolverCallTypesAgree: Equal<ResolverCall, notImplemented.ResolverCallMessage> = true

// An app with one route for each kind of answer the plugin makes.
async function build (): Promise<FastifyInstance> {
  const app = Fastify({ clientErrorHandler: notImplemented.clientErrorHandler })
  app.addHttpMethod('PURGE')
  await app.register(notImplemented, {
    tiers: ['free', 'plus'],
    resolveTier: (request) => {
      const plan = request.headers['x-plan']
      if (plan === 'broken') throw new Error('plans down')
      return plan === 'plus' ? 'plus' : 'free'
    },
    isFeatureEnabled: (feature, request) => request.headers['x-flag'] === feature,
    logLevel: 'silent'
  })
  app.get('/reports/:id', { config: { tier: 'plus' } }, async () => 'report')
  app.post('/exports', { config: { feature: 'bulk' } }, async () => 'export')
  app.declareRoute({ method: 'PUT', url: '/invoices' })
  app.get('/search', { constraints: { version: '1.0.0' } }, async () => 'v1')
  app.route({ method: 'PURGE', url: '/cache', handler: async () => 'purged' })
  return app
}

function collect (name: string): { messages: Array<Record<string, unknown>>, stop: () => void } {
  const messages: Array<Record<string, unknown>> = []
  const listener = (message: unknown): void => { messages.push(message as Record<string, unknown>) }
  subscribe(name, listener)
  return { messages, stop: () => unsubscribe(name, listener) }
}

function rawRequest (port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    let received = ''
    const socket = connect(port, '127.0.0.1', () => socket.write(text))
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => { received += chunk })
    socket.on('error', () => {})
    socket.on('close', () => resolve(received))
  })
}

test('one message per answer of the plugin, with the fields of the contract', async (t) => {
  const app = await build()
  const requests: unknown[] = []
  app.addHook('onResponse', async (request) => { requests.push(request) })
  const { port } = await listen(t, app)
  const { messages, stop } = collect(diagnosticsChannels.decision)
  t.teardown(stop)
  const asked = [
    { method: 'GET' as const, url: '/reports/1' },
    { method: 'GET' as const, url: '/reports/1', headers: { 'x-plan': 'broken' } },
    { method: 'GET' as const, url: '/reports/1', headers: { 'x-plan': 'plus' } },
    { method: 'POST' as const, url: '/exports' },
    { method: 'PUT' as const, url: '/invoices' },
    { method: 'POST' as const, url: '/reports/1' },
    { method: 'OPTIONS' as const, url: '/reports/1' },
    { method: 'PATCH' as const, url: '/reports/1' },
    { method: 'GET' as const, url: '/search', headers: { 'accept-version': '2.0.0' } },
    { method: 'GET' as const, url: '/nowhere' }
  ]
  for (const options of asked) await app.inject(options)
  const raw = await rawRequest(port, 'BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n')
  t.match(raw, /^HTTP\/1\.1 501 /)

  t.same(messages.map(({ request, ...rest }) => rest), [
    { code: 'FST_TIER_REQUIRED', statusCode: 501, method: 'GET', route: '/reports/:id', tierRequired: 'plus', tierHeld: 'free' },
    { code: 'FST_TIER_UNAVAILABLE', statusCode: 503, method: 'GET', route: '/reports/:id' },
    { code: 'FST_FEATURE_DISABLED', statusCode: 501, method: 'POST', route: '/exports', feature: 'bulk' },
    { code: 'FST_ENDPOINT_NOT_IMPLEMENTED', statusCode: 501, method: 'PUT', route: '/invoices' },
    { code: 'FST_METHOD_NOT_ALLOWED', statusCode: 405, method: 'POST', route: null },
    { code: 'OPTIONS', statusCode: 204, method: 'OPTIONS', route: null },
    { code: 'FST_METHOD_NOT_IMPLEMENTED', statusCode: 501, method: 'PATCH', route: null },
    { code: 'FST_VERSION_NOT_IMPLEMENTED', statusCode: 501, method: 'GET', route: null },
    { code: 'FST_METHOD_NOT_IMPLEMENTED', statusCode: 501, method: 'BREW', route: null }
  ], 'the allowed caller and the 404 make none')
  // The request is Fastify's own object, the one its hooks see; none for the parser's refusal.
  t.equal(messages[0].request, requests[0])
  t.equal(messages[8].request, null)
})

test('with nobody subscribed, no message is even built', async (t) => {
  const app = await build()
  const decisions = channel(diagnosticsChannels.decision)
  const resolverCalls = channel(diagnosticsChannels.resolver)
  let built = 0
  const count = (): void => { built++ }
  Object.defineProperty(decisions, 'publish', { value: count, configurable: true })
  Object.defineProperty(resolverCalls, 'publish', { value: count, configurable: true })
  t.teardown(() => {
    delete (decisions as unknown as Record<string, unknown>).publish
    delete (resolverCalls as unknown as Record<string, unknown>).publish
  })
  t.equal(decisions.hasSubscribers, false)
  for (const url of ['/reports/1', '/exports', '/nowhere']) await app.inject({ method: 'POST', url })
  await app.inject({ url: '/reports/1' })
  await app.inject({ method: 'OPTIONS', url: '/reports/1' })
  t.equal(built, 0)
})

test('resolver calls are timed on their own channel, whatever the gate answers', async (t) => {
  const app = await build()
  await app.ready()
  const { messages, stop } = collect(diagnosticsChannels.resolver)
  t.teardown(stop)
  await app.inject({ url: '/reports/1', headers: { 'x-plan': 'plus' } })
  await app.inject({ url: '/reports/1', headers: { 'x-plan': 'broken' } })
  await app.inject({ method: 'POST', url: '/exports', headers: { 'x-flag': 'bulk' } })
  t.same(messages.map(({ source, route, outcome }) => ({ source, route, outcome })), [
    { source: 'resolveTier', route: '/reports/:id', outcome: 'answered' },
    { source: 'resolveTier', route: '/reports/:id', outcome: 'failed' },
    { source: 'isFeatureEnabled', route: '/exports', outcome: 'answered' }
  ])
  for (const message of messages) t.ok(typeof message.duration === 'number' && message.duration >= 0 && message.duration < 1000)
})

test('a resolver that times out is reported as such', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, { tiers: ['free'], resolveTier: () => new Promise(() => {}), resolverTimeout: 30, logLevel: 'silent' })
  app.get('/x', { config: { tier: 'free' } }, async () => 'x')
  const { messages, stop } = collect(diagnosticsChannels.resolver)
  t.teardown(stop)
  const hold = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(hold))
  t.equal((await app.inject({ url: '/x' })).statusCode, 503)
  t.equal(messages[0].outcome, 'timed out')
  t.ok((messages[0].duration as number) >= 25)
})

function meterWithMemory () {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const provider = new MeterProvider({ readers: [reader] })
  async function read () {
    await reader.forceFlush()
    const batches = exporter.getMetrics()
    const latest = batches[batches.length - 1]
    exporter.reset()
    return latest?.scopeMetrics.flatMap((scope) => scope.metrics) ?? []
  }
  return { meter: provider.getMeter('test'), read, shutdown: () => provider.shutdown() }
}

test('openTelemetryMetrics counts every answer with bounded attributes, and times resolvers', async (t) => {
  const { meter, read, shutdown } = meterWithMemory()
  t.teardown(shutdown)
  const stop = openTelemetryMetrics(meter)
  t.teardown(stop)
  const app = await build()
  const { port } = await listen(t, app)
  await app.inject({ url: '/reports/1' })
  await app.inject({ url: '/reports/2' })
  await app.inject({ url: '/reports/3', headers: { 'x-plan': 'plus' } })
  await app.inject({ method: 'PURGE', url: '/reports/1' })
  await app.inject({ method: 'PATCH', url: '/anything' })
  await rawRequest(port, 'BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n')

  const collected = await read()
  const answers = collected.find((metric) => metric.descriptor.name === 'fastify_not_implemented.answers')
  t.equal(answers?.dataPointType, DataPointType.SUM)
  t.equal(answers?.descriptor.unit, '{answer}')
  t.same(answers?.dataPoints.map(({ attributes, value }) => ({ attributes, value })), [
    { attributes: { code: 'FST_TIER_REQUIRED', 'http.request.method': 'GET', 'http.response.status_code': 501, 'http.route': '/reports/:id', 'fastify_not_implemented.tier': 'plus' }, value: 2 },
    { attributes: { code: 'FST_METHOD_NOT_ALLOWED', 'http.request.method': '_OTHER', 'http.response.status_code': 405 }, value: 1 },
    { attributes: { code: 'FST_METHOD_NOT_IMPLEMENTED', 'http.request.method': 'PATCH', 'http.response.status_code': 501 }, value: 1 },
    { attributes: { code: 'FST_METHOD_NOT_IMPLEMENTED', 'http.request.method': '_OTHER', 'http.response.status_code': 501 }, value: 1 }
  ])
  const durations = collected.find((metric) => metric.descriptor.name === 'fastify_not_implemented.resolver.duration')
  t.equal(durations?.dataPointType, DataPointType.HISTOGRAM)
  t.equal(durations?.descriptor.unit, 's')
  t.same(durations?.dataPoints.map(({ attributes, value }) => ({ attributes, count: (value as { count: number }).count })), [
    { attributes: { 'fastify_not_implemented.source': 'resolveTier', 'fastify_not_implemented.outcome': 'answered', 'http.route': '/reports/:id' }, count: 3 }
  ])

  stop()
  await app.inject({ url: '/reports/1' })
  const after = await read()
  t.equal(after.find((metric) => metric.descriptor.name === 'fastify_not_implemented.answers')?.dataPoints[0].value, 2, 'nothing is recorded once stopped')
})

test('through the global API as an app would use it', async (t) => {
  const { meter, read, shutdown } = meterWithMemory()
  t.teardown(shutdown)
  t.teardown(() => metrics.disable())
  metrics.setGlobalMeterProvider({ getMeter: () => meter })
  const stop = openTelemetryMetrics(metrics.getMeter('api'))
  t.teardown(stop)
  const app = await build()
  await app.inject({ method: 'DELETE', url: '/reports/1' })
  const answers = (await read()).find((metric) => metric.descriptor.name === 'fastify_not_implemented.answers')
  t.same(answers?.dataPoints.map(({ value }) => value), [1])
})

test('the number of series is bounded whatever paths and methods clients make up', async (t) => {
  const { meter, read, shutdown } = meterWithMemory()
  t.teardown(shutdown)
  const stop = openTelemetryMetrics(meter)
  t.teardown(stop)
  const app = await build()
  const { port } = await listen(t, app)
  // mulberry32: a small seeded generator whose low bits are as random as its high ones.
  let seed = 7
  const random = (n: number): number => {
    seed = (seed + 0x6D2B79F5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return (((x ^ (x >>> 14)) >>> 0) % n)
  }
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
  const word = (length: number): string => Array.from({ length }, () => letters[random(26)]).join('')
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'QUERY', 'PURGE']
  for (let i = 0; i < 600; i++) {
    const path = ['/reports/' + word(6), '/exports', '/invoices', '/' + word(8), '/search', '/cache'][random(6)]
    await app.inject({ method: methods[random(methods.length)] as 'GET', url: path + '?q=' + word(4), headers: { 'x-plan': ['plus', 'free', 'broken'][random(3)] } })
  }
  for (let i = 0; i < 20; i++) await rawRequest(port, `${word(5)} /${word(5)} HTTP/1.1\r\nHost: x\r\n\r\n`)
  const answers = (await read()).find((metric) => metric.descriptor.name === 'fastify_not_implemented.answers')
  const series = answers?.dataPoints.length ?? 0
  // The bound: (templates + the not-found path) × (methods known to OpenTelemetry + _OTHER)
  // × (codes + OPTIONS), and the templates here are 5.
  const bound = (5 + 1) * (10 + 1) * 8
  t.ok(series > 5 && series <= bound, `${series} series for 620 requests on random paths and methods (bound ${bound})`)
  const routes = new Set(answers?.dataPoints.map(({ attributes }) => attributes['http.route']))
  t.same([...routes].sort(), ['/exports', '/invoices', '/reports/:id', undefined].sort(), 'routes are templates, never raw URLs')
})

test('a broken meter changes no answer and never ends the process', async (t) => {
  const broken = {
    createCounter: () => ({ add () { throw new Error('exporter down') } }),
    createHistogram: () => ({ record () { throw new Error('exporter down') } })
  }
  const stop = openTelemetryMetrics(broken)
  t.teardown(stop)
  const app = await build()
  t.equal((await app.inject({ url: '/reports/1' })).statusCode, 501)
  t.equal((await app.inject({ method: 'PATCH', url: '/x' })).statusCode, 501)
  t.equal((await app.inject({ url: '/reports/1', headers: { 'x-plan': 'plus' } })).statusCode, 200)
})

test('openTelemetryMetrics refuses what is not a meter', async (t) => {
  for (const bad of [undefined, null, {}, { createCounter () {} }]) {
    t.throws(() => openTelemetryMetrics(bad as never), { name: 'TypeError', message: /^fastify-not-implemented: openTelemetryMetrics needs an OpenTelemetry Meter/ })
  }
})
