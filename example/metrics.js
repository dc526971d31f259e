const Fastify = require('fastify')
const { metrics } = require('@opentelemetry/api')
const { MeterProvider } = require('@opentelemetry/sdk-metrics')
const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus')
const notImplemented = require('fastify-not-implemented')

async function main () {
  // The exporter serves the metrics itself; here on a route of the app, at /metrics.
  const exporter = new PrometheusExporter({ preventServerStart: true })
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }))
  const stop = notImplemented.openTelemetryMetrics(metrics.getMeter('api'))

  const app = Fastify()
  await app.register(notImplemented, {
    tiers: ['free', 'plus'],
    resolveTier: (request) => request.headers['x-plan'] === 'plus' ? 'plus' : 'free'
  })
  app.get('/reports/:id', { config: { tier: 'plus' } }, async () => ({ revenue: 42 }))
  app.post('/exports', async () => ({}))
  app.get('/metrics', (request, reply) => {
    reply.hijack()
    exporter.getMetricsRequestHandler(request.raw, reply.raw)
  })

  await app.inject({ url: '/reports/1' })                    // 501 FST_TIER_REQUIRED
  await app.inject({ url: '/reports/2' })                    // 501 FST_TIER_REQUIRED
  await app.inject({ url: '/reports/3', headers: { 'x-plan': 'plus' } }) // 200, no answer of the plugin
  await app.inject({ method: 'POST', url: '/reports/1' })    // 405
  await app.inject({ method: 'PATCH', url: '/anything' })    // 501 FST_METHOD_NOT_IMPLEMENTED

  const text = (await app.inject({ url: '/metrics' })).body
  for (const line of text.split('\n')) {
    if (line.startsWith('fastify_not_implemented_answers')) console.log(line)
  }
  stop()
  await app.close()
}

main()
