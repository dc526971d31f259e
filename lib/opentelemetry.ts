import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { decisionChannelName, resolverChannelName, type Decision, type ResolverCall } from './decisions'

// The part of an OpenTelemetry Meter (`metrics.getMeter(...)` of @opentelemetry/api) this
// uses, typed structurally so that the API stays an optional peer: nothing here loads it.
type Attributes = Record<string, string | number>
interface CounterLike { add: (value: number, attributes?: Attributes) => void }
interface HistogramLike { record: (value: number, attributes?: Attributes) => void }
export interface MeterLike {
  createCounter: (name: string, options?: { description?: string, unit?: string }) => CounterLike
  createHistogram: (name: string, options?: { description?: string, unit?: string, advice?: { explicitBucketBoundaries?: number[] } }) => HistogramLike
}

export const answersMetric = 'fastify_not_implemented.answers'
export const resolverDurationMetric = 'fastify_not_implemented.resolver.duration'

// OpenTelemetry's HTTP conventions: a method outside the known set is recorded as _OTHER,
// so that a client inventing methods cannot grow the number of series.
const knownMethods = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE', 'QUERY'])

// Resolvers answer in microseconds (a cache) to the plugin's timeout (a second by default).
const durationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

// Every attribute takes values from a set fixed by the app: codes and statuses from the
// outcome table, methods from the set above, routes from the app's route templates (never a
// raw URL: absent on the not-found path), tiers and features from the routes' config.
// So the series are at most (templates × methods × codes × tiers or features) plus the
// not-found path's (methods × codes), however many paths and methods clients make up.
function answerAttributes (message: Decision): Attributes {
  const attributes: Attributes = {
    code: message.code,
    'http.request.method': knownMethods.has(message.method) ? message.method : '_OTHER',
    'http.response.status_code': message.statusCode
  }
  if (message.route !== null) attributes['http.route'] = message.route
  if (message.tierRequired !== undefined) attributes['fastify_not_implemented.tier'] = message.tierRequired
  if (message.feature !== undefined) attributes['fastify_not_implemented.feature'] = message.feature
  return attributes
}

// Records the plugin's decisions as OpenTelemetry metrics: a counter of its answers and a
// histogram of how long gated routes waited on `resolveTier` and `isFeatureEnabled`.
// Returns the function that stops recording.
export function openTelemetryMetrics (meter: MeterLike): () => void {
  if (meter === null || typeof meter !== 'object' || typeof meter.createCounter !== 'function' || typeof meter.createHistogram !== 'function') {
    throw new TypeError('fastify-not-implemented: openTelemetryMetrics needs an OpenTelemetry Meter (metrics.getMeter(name) of @opentelemetry/api)')
  }
  const answers = meter.createCounter(answersMetric, {
    description: 'Answers fastify-not-implemented made instead of the route handler or the 404: 501, 405, 204 OPTIONS, 503',
    unit: '{answer}'
  })
  const resolverDuration = meter.createHistogram(resolverDurationMetric, {
    description: 'How long a gated route waited on resolveTier or isFeatureEnabled',
    unit: 's',
    advice: { explicitBucketBoundaries: durationBuckets }
  })
  // A subscriber that throws ends the process (Node reports it as an uncaught exception):
  // a broken meter must not.
  function onDecision (message: unknown): void {
    try {
      answers.add(1, answerAttributes(message as Decision))
    } catch {}
  }
  function onResolverCall (message: unknown): void {
    const { source, route, duration, outcome } = message as ResolverCall
    try {
      resolverDuration.record(duration / 1000, {
        'fastify_not_implemented.source': source,
        'fastify_not_implemented.outcome': outcome,
        'http.route': route
      })
    } catch {}
  }
  subscribe(decisionChannelName, onDecision)
  subscribe(resolverChannelName, onResolverCall)
  return function stopRecording (): void {
    unsubscribe(decisionChannelName, onDecision)
    unsubscribe(resolverChannelName, onResolverCall)
  }
}
