import { metrics } from '@opentelemetry/api'
import fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync, type FastifyRequest } from 'fastify'
import type { Socket } from 'node:net'
import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd'
import { Type, type Static } from '@sinclair/typebox'
import { Type as TypeOne, type Static as StaticOne } from 'typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { OpenFeature } from '@openfeature/server-sdk'
import notImplemented, {
  notImplemented as namedNotImplemented,
  fastifyNotImplemented,
  clientErrorHandler,
  errors,
  schemas,
  problemSchemas,
  openFeatureFlags,
  type FastifyNotImplementedOptions,
  type CapabilityMatrix,
  type DecisionMessage,
  type ErrorCode,
  type IsFeatureEnabled,
  type Outcome,
  type ProblemDetails,
  type TierName
} from 'fastify-not-implemented'
import notImplementedRequired = require('fastify-not-implemented')

// Every import form is the same plugin.
type Plugin = FastifyPluginAsync<FastifyNotImplementedOptions>
expectAssignable<Plugin>(notImplemented)
expectAssignable<Plugin>(namedNotImplemented)
expectAssignable<Plugin>(fastifyNotImplemented)
expectAssignable<Plugin>(notImplementedRequired)
expectAssignable<Plugin>(notImplementedRequired.default)
expectAssignable<Plugin>(notImplementedRequired.notImplemented)
expectAssignable<Plugin>(notImplementedRequired.fastifyNotImplemented)
expectType<typeof errors>(notImplementedRequired.errors)
expectType<typeof schemas>(notImplementedRequired.schemas)
expectType<typeof problemSchemas>(notImplementedRequired.problemSchemas)
expectType<typeof clientErrorHandler>(notImplementedRequired.clientErrorHandler)
expectType<typeof openFeatureFlags>(notImplementedRequired.openFeatureFlags)

// With no TierRegistry augmentation, any tier name is accepted.
expectType<string>({} as TierName)

const app = fastify()

// Registration, with and without options.
app.register(notImplemented)
app.register(namedNotImplemented, {})
app.register(fastifyNotImplemented, {
  tiers: ['free', 'plus', 'enterprise'],
  resolveTier: (request) => {
    expectType<FastifyRequest>(request)
    return request.headers['x-plan'] === 'plus' ? 'plus' : undefined
  },
  isFeatureEnabled: async (feature, request) => {
    expectType<string>(feature)
    expectType<FastifyRequest>(request)
    return feature === 'bulk-export'
  },
  autoOptions: false,
  cacheControl: {
    FST_METHOD_NOT_IMPLEMENTED: 'max-age=300',
    FST_METHOD_NOT_ALLOWED: false,
    FST_TIER_REQUIRED: 'private, max-age=60',
    OPTIONS: 'no-cache'
  },
  vary: ['Authorization', 'Cookie'],
  tierRequiredStatus: 402,
  exposeRequiredTier: false,
  resolverTimeout: 250,
  retryAfter: 10,
  logLevel: 'warn',
  capabilitiesRoute: { url: '/_capabilities', config: { tier: 'enterprise', feature: 'capabilities' } },
  sharedSchemas: true
})
app.register(notImplemented, { vary: 'Authorization', capabilitiesRoute: '/capabilities', prefix: '/api' })
app.register(notImplemented, { resolveTier: async () => null, tierRequiredStatus: 403 })
app.register(notImplemented, { tiers: ['free', 'plus'] as const })
app.register(notImplemented, { problemDetails: true, versionNotImplementedStatus: 406 })
app.register(notImplemented, { problemDetails: { typeBase: 'https://example.com/problems/' }, versionNotImplementedStatus: 404 })
app.register(notImplemented, { problemDetails: false, versionNotImplementedStatus: 501 })
const asyncResolver = async (request: FastifyRequest): Promise<string | undefined> => request.headers.authorization
app.register(notImplemented, { resolveTier: asyncResolver })

// Bad options.
expectError(app.register(notImplemented, { autoOptions: 'yes' }))
expectError(app.register(notImplemented, { sharedSchemas: 'yes' }))
expectError(app.register(notImplemented, { tierRequiredStatus: 404 }))
expectError(app.register(notImplemented, { versionNotImplementedStatus: 400 }))
expectError(app.register(notImplemented, { versionNotImplementedStatus: '406' }))
expectError(app.register(notImplemented, { problemDetails: 'yes' }))
expectError(app.register(notImplemented, { problemDetails: { typeBase: 42 } }))
expectError(app.register(notImplemented, { problemDetails: { base: 'https://example.com/problems/' } }))
expectError(app.register(notImplemented, { problemDetails: {} }))
expectError(app.register(notImplemented, { cacheControl: { FST_NOT_A_CODE: 'no-store' } }))
expectError(app.register(notImplemented, { cacheControl: { OPTIONS: true } }))
expectError(app.register(notImplemented, { tiers: 'plus' }))
expectError(app.register(notImplemented, { tiers: [1, 2] }))
expectError(app.register(notImplemented, { resolveTier: () => 42 }))
expectError(app.register(notImplemented, { isFeatureEnabled: () => 'on' }))
expectError(app.register(notImplemented, { vary: 42 }))
expectError(app.register(notImplemented, { resolverTimeout: '1s' }))
expectError(app.register(notImplemented, { logLevel: 'verbose' }))
expectError(app.register(notImplemented, { capabilitiesRoute: { config: { tier: 'plus' } } }))
expectError(app.register(notImplemented, { autoOption: true }))

const outcomes: Outcome[] = [
  'FST_METHOD_NOT_IMPLEMENTED',
  'FST_METHOD_NOT_ALLOWED',
  'FST_TIER_REQUIRED',
  'FST_FEATURE_DISABLED',
  'FST_ENDPOINT_NOT_IMPLEMENTED',
  'FST_TIER_UNAVAILABLE',
  'FST_VERSION_NOT_IMPLEMENTED',
  'FST_ENDPOINT_GONE',
  'OPTIONS'
]
expectType<Outcome[]>(outcomes)
expectNotAssignable<ErrorCode>('OPTIONS')
expectNotAssignable<Outcome>('FST_NOT_A_CODE')

// The clock every sunset is compared with.
app.register(notImplemented, { now: () => Date.now() })
expectError(app.register(notImplemented, { now: 1700000000000 }))
expectError(app.register(notImplemented, { now: () => '2026-01-01' }))

// Life cycle: deprecated (dates as Date or ISO strings), retired.
app.get('/old', { config: { deprecation: { date: '2026-01-01', sunset: new Date('2026-07-01T00:00:00Z'), link: 'https://example.com/migrate' } } }, async () => 'ok')
app.get('/older', { config: { deprecation: { date: new Date('2025-01-01') } } }, async () => 'ok')
app.get('/retired', { config: { gone: true } }, async () => 'never')
app.declareRoute({ method: 'DELETE', url: '/retired', config: { gone: true } })
expectError(app.get('/bad', { config: { deprecation: { sunset: '2026-07-01' } } }, async () => 'ok'))
expectError(app.get('/bad', { config: { deprecation: { date: 1700000000000 } } }, async () => 'ok'))
expectError(app.get('/bad', { config: { gone: 'yes' } }, async () => 'ok'))
expectType<string | undefined>(app.capabilities().routes[0].methods[0].sunset)
expectType<true | undefined>(app.capabilities().routes[0].methods[0].gone)

// Route config.
app.get('/plus', { config: { tier: 'plus' } }, async () => 'ok')
app.get('/export', { config: { feature: 'bulk-export' } }, async () => 'ok')
app.post('/export', { config: { tier: 'plus', feature: 'bulk-export' } }, async () => 'ok')
app.delete('/later', { config: { implemented: false } }, async () => 'never')
app.route({ method: 'PUT', url: '/later', config: { implemented: false, tier: 'free' }, handler: async () => 'never' })
app.addHook('onRequest', async (request) => {
  expectType<TierName | undefined>(request.routeOptions.config.tier)
  expectType<string | undefined>(request.routeOptions.config.feature)
  expectType<boolean | undefined>(request.routeOptions.config.implemented)
})
app.addHook('onRoute', (route) => {
  expectType<TierName | undefined>(route.config?.tier)
})
expectError(app.get('/bad', { config: { tier: 42 } }, async () => 'ok'))
expectError(app.get('/bad', { config: { feature: true } }, async () => 'ok'))
expectError(app.get('/bad', { config: { implemented: 'no' } }, async () => 'ok'))

// Declared-but-unbuilt endpoints, and the capability matrix.
expectType<typeof app>(app.declareRoute({ method: 'GET', url: '/reports' }))
app.declareRoute({ method: ['POST', 'PUT'], url: '/reports/:id', config: { tier: 'plus' }, schema: { params: { type: 'object' } } })
app.declareRoute({ method: 'GET', url: '/a' }).declareRoute({ method: 'GET', url: '/b' })
expectError(app.declareRoute({ url: '/no-method' }))
expectError(app.declareRoute({ method: 'GET', url: '/x', handler: async () => 'ok' }))
expectError(app.declareRoute({ method: 'GET', url: '/x', config: { tier: 1 } }))
app.register(async (child) => {
  child.declareRoute({ method: 'GET', url: '/child' })
})

const matrix = app.capabilities()
expectType<CapabilityMatrix>(matrix)
expectType<string>(matrix.digest)
for (const route of matrix.routes) {
  expectType<string>(route.path)
  for (const m of route.methods) {
    expectType<string>(m.method)
    expectType<boolean>(m.implemented)
    expectType<string | undefined>(m.tier)
    expectType<string | undefined>(m.feature)
    expectType<string[] | undefined>(m.versions)
    expectType<true | undefined>(m.hidden)
  }
}

// clientErrorHandler fits Fastify's own option.
fastify({ clientErrorHandler })
fastify({ clientErrorHandler: notImplemented.clientErrorHandler })
expectType<(this: FastifyInstance, err: Error, socket: Socket) => void>(clientErrorHandler)

// errors: one constructor per code, with the code and status as literal types.
const e501 = new errors.FST_METHOD_NOT_IMPLEMENTED('PROPFIND')
expectType<'FST_METHOD_NOT_IMPLEMENTED'>(e501.code)
expectType<501>(e501.statusCode)
expectAssignable<Error>(e501)
expectType<'FST_METHOD_NOT_ALLOWED'>(errors.FST_METHOD_NOT_ALLOWED('PATCH', '/users').code)
expectType<405>(new errors.FST_METHOD_NOT_ALLOWED().statusCode)
expectType<501 | 402 | 403>(new errors.FST_TIER_REQUIRED('plus').statusCode)
expectType<'FST_FEATURE_DISABLED'>(new errors.FST_FEATURE_DISABLED('x').code)
expectType<501>(new errors.FST_ENDPOINT_NOT_IMPLEMENTED('GET', '/x').statusCode)
expectType<503>(new errors.FST_TIER_UNAVAILABLE().statusCode)
expectType<'FST_VERSION_NOT_IMPLEMENTED'>(new errors.FST_VERSION_NOT_IMPLEMENTED('3.x', 'GET', '/x').code)
expectType<410>(new errors.FST_ENDPOINT_GONE('GET', '/x').statusCode)
expectType<'FST_ENDPOINT_GONE'>(new errors.FST_ENDPOINT_GONE('GET', '/x').code)
expectError(errors.FST_NOT_A_CODE)
expectNotAssignable<'FST_TIER_REQUIRED'>(new errors.FST_TIER_UNAVAILABLE().code)
expectType<ErrorCode[]>(Object.keys(errors) as Array<keyof typeof errors>)

// ... and `instanceof` narrows an app's error to the plugin's error with its fields.
app.setErrorHandler((error: FastifyError, _request, reply) => {
  if (error instanceof errors.FST_METHOD_NOT_ALLOWED) {
    expectType<'FST_METHOD_NOT_ALLOWED'>(error.code)
    expectType<405>(error.statusCode)
    expectType<string[] | undefined>(error.allow)
    expectType<Record<string, string> | undefined>(error.headers)
    return reply.code(error.statusCode).headers(error.headers ?? {}).send({ problem: error.code, allow: error.allow })
  }
  if (error instanceof errors.FST_TIER_REQUIRED) {
    expectType<string | undefined>(error.requiredTier)
    expectType<501 | 402 | 403>(error.statusCode)
    return reply.code(error.statusCode).send({ upgradeTo: error.requiredTier })
  }
  if (error instanceof errors.FST_FEATURE_DISABLED) {
    expectType<string | undefined>(error.feature)
  }
  if (error instanceof errors.FST_VERSION_NOT_IMPLEMENTED) {
    expectType<string | undefined>(error.version)
    expectType<501 | 406 | 404>(error.statusCode)
  }
  if (error instanceof errors.FST_METHOD_NOT_IMPLEMENTED) {
    // With problemDetails, the problem's members and the whole body.
    expectType<string | undefined>(error.type)
    expectType<string | undefined>(error.title)
    expectType<number | undefined>(error.status)
    expectType<string | undefined>(error.detail)
    expectType<ProblemDetails | undefined>(error.problem)
    if (error.problem !== undefined) return reply.type('application/problem+json').send(error.problem)
  }
  expectError(error.allow)
  return reply.send(error)
})

// schemas: TypeBox objects, one per code, whose static types are the bodies a client sees.
expectType<'fastify-not-implemented/FST_METHOD_NOT_IMPLEMENTED'>(schemas.FST_METHOD_NOT_IMPLEMENTED.$id)
expectType<'FST_TIER_REQUIRED'>(schemas.FST_TIER_REQUIRED.title)
expectType<{ statusCode: 501, code: 'FST_METHOD_NOT_IMPLEMENTED', error: string, message: string }>(
  {} as Static<typeof schemas.FST_METHOD_NOT_IMPLEMENTED>
)
expectType<{ statusCode: 405, code: 'FST_METHOD_NOT_ALLOWED', error: string, message: string, allow: string[] }>(
  {} as Static<typeof schemas.FST_METHOD_NOT_ALLOWED>
)
expectType<{ statusCode: 501 | 402 | 403, code: 'FST_TIER_REQUIRED', error: string, message: string, requiredTier?: string, upgradeUrl?: string }>(
  {} as Static<typeof schemas.FST_TIER_REQUIRED>
)
expectType<{ statusCode: 501, code: 'FST_FEATURE_DISABLED', error: string, message: string, feature: string }>(
  {} as Static<typeof schemas.FST_FEATURE_DISABLED>
)
expectType<{ statusCode: 501, code: 'FST_ENDPOINT_NOT_IMPLEMENTED', error: string, message: string }>(
  {} as Static<typeof schemas.FST_ENDPOINT_NOT_IMPLEMENTED>
)
expectType<{ statusCode: 503, code: 'FST_TIER_UNAVAILABLE', error: string, message: string }>(
  {} as Static<typeof schemas.FST_TIER_UNAVAILABLE>
)
expectType<{ statusCode: 501 | 406 | 404, code: 'FST_VERSION_NOT_IMPLEMENTED', error: string, message: string, version: string }>(
  {} as Static<typeof schemas.FST_VERSION_NOT_IMPLEMENTED>
)
expectType<{ statusCode: 410, code: 'FST_ENDPOINT_GONE', error: string, message: string }>(
  {} as Static<typeof schemas.FST_ENDPOINT_GONE>
)
expectType<ErrorCode[]>(Object.keys(schemas) as Array<keyof typeof schemas>)

// problemSchemas: the same in problem form (RFC 9457), one per code.
expectType<'fastify-not-implemented/problem/FST_METHOD_NOT_ALLOWED'>(problemSchemas.FST_METHOD_NOT_ALLOWED.$id)
expectType<'FST_TIER_REQUIRED.problem'>(problemSchemas.FST_TIER_REQUIRED.title)
expectType<{ type: string, title: string, status: 501, detail: string, code: 'FST_METHOD_NOT_IMPLEMENTED' }>(
  {} as Static<typeof problemSchemas.FST_METHOD_NOT_IMPLEMENTED>
)
expectType<{ type: string, title: string, status: 405, detail: string, code: 'FST_METHOD_NOT_ALLOWED', allow: string[] }>(
  {} as Static<typeof problemSchemas.FST_METHOD_NOT_ALLOWED>
)
expectType<{ type: string, title: string, status: 501 | 402 | 403, detail: string, code: 'FST_TIER_REQUIRED', requiredTier?: string, upgradeUrl?: string }>(
  {} as Static<typeof problemSchemas.FST_TIER_REQUIRED>
)
expectType<{ type: string, title: string, status: 501, detail: string, code: 'FST_FEATURE_DISABLED', feature: string }>(
  {} as Static<typeof problemSchemas.FST_FEATURE_DISABLED>
)
expectType<{ type: string, title: string, status: 501, detail: string, code: 'FST_ENDPOINT_NOT_IMPLEMENTED' }>(
  {} as Static<typeof problemSchemas.FST_ENDPOINT_NOT_IMPLEMENTED>
)
expectType<{ type: string, title: string, status: 503, detail: string, code: 'FST_TIER_UNAVAILABLE' }>(
  {} as Static<typeof problemSchemas.FST_TIER_UNAVAILABLE>
)
expectType<{ type: string, title: string, status: 501 | 406 | 404, detail: string, code: 'FST_VERSION_NOT_IMPLEMENTED', version: string }>(
  {} as Static<typeof problemSchemas.FST_VERSION_NOT_IMPLEMENTED>
)
expectType<ErrorCode[]>(Object.keys(problemSchemas) as Array<keyof typeof problemSchemas>)
expectType<{ type: string, title: string, status: 405, detail: string, code: 'FST_METHOD_NOT_ALLOWED', allow: string[] }>(
  {} as StaticOne<typeof problemSchemas.FST_METHOD_NOT_ALLOWED>
)
// A problem body is assignable to ProblemDetails.
expectAssignable<ProblemDetails>({} as Static<typeof problemSchemas.FST_TIER_REQUIRED>)

// ... referenced with TypeBox 0.34: `Type.Ref(schema)`, or by `$id`; both keep the body's type.
type TierRequiredBody = { statusCode: 501 | 402 | 403, code: 'FST_TIER_REQUIRED', error: string, message: string, requiredTier?: string, upgradeUrl?: string }
const tierRequiredRef = Type.Ref(schemas.FST_TIER_REQUIRED)
expectType<TierRequiredBody>({} as Static<typeof tierRequiredRef>)
const tierRequiredById = Type.Unsafe<Static<typeof schemas.FST_TIER_REQUIRED>>(Type.Ref(schemas.FST_TIER_REQUIRED.$id))
expectType<TierRequiredBody>({} as Static<typeof tierRequiredById>)
expectType<'fastify-not-implemented/FST_TIER_REQUIRED'>(Type.Ref(schemas.FST_TIER_REQUIRED.$id).$ref)
// ... composed with TypeBox 0.34.
const tierAnswers = Type.Union([schemas.FST_TIER_REQUIRED, schemas.FST_TIER_UNAVAILABLE])
expectType<'FST_TIER_REQUIRED' | 'FST_TIER_UNAVAILABLE'>({} as Static<typeof tierAnswers>['code'])
const traced = Type.Composite([schemas.FST_FEATURE_DISABLED, Type.Object({ traceId: Type.String() })])
expectType<{ statusCode: 501, code: 'FST_FEATURE_DISABLED', error: string, message: string, feature: string, traceId: string }>({} as Static<typeof traced>)

// ... and with TypeBox 1.x (`typebox`), which has no `Type.Ref(schema)`: the schema itself, or its `$id`.
expectType<TierRequiredBody>({} as StaticOne<typeof schemas.FST_TIER_REQUIRED>)
const tierRequiredByIdOne = TypeOne.Unsafe<StaticOne<typeof schemas.FST_TIER_REQUIRED>>(TypeOne.Ref(schemas.FST_TIER_REQUIRED.$id))
expectType<TierRequiredBody>({} as StaticOne<typeof tierRequiredByIdOne>)
expectError(TypeOne.Ref(schemas.FST_TIER_REQUIRED))

// ... usable as route response schemas, with a TypeBox type provider.
const typed = app.withTypeProvider<TypeBoxTypeProvider>()
typed.get('/typed', {
  schema: {
    response: {
      405: schemas.FST_METHOD_NOT_ALLOWED,
      501: schemas.FST_TIER_REQUIRED
    }
  },
  config: { tier: 'plus' }
}, async (_request, reply) => {
  expectError(reply.code(405).send({ statusCode: 404, code: 'FST_METHOD_NOT_ALLOWED', error: 'Method Not Allowed', message: 'no', allow: ['GET'] }))
  expectError(reply.code(405).send({ statusCode: 405, code: 'FST_METHOD_NOT_ALLOWED', error: 'Method Not Allowed', message: 'no' }))
  expectError(reply.code(501).send({ statusCode: 501, code: 'FST_TIER_REQUIRED', error: 'Not Implemented', message: 'no', requiredTier: 1 }))
  reply.code(501).send({ statusCode: 402, code: 'FST_TIER_REQUIRED', error: 'Payment Required', message: 'upgrade' })
  return reply.code(405).send({ statusCode: 405, code: 'FST_METHOD_NOT_ALLOWED', error: 'Method Not Allowed', message: 'no', allow: ['GET'] })
})
app.get('/ref', {
  schema: { response: { 501: { $ref: 'fastify-not-implemented/FST_ENDPOINT_NOT_IMPLEMENTED#' } } },
  config: { implemented: false }
}, async () => 'never')

// openFeatureFlags: a structural client, and the SDK's own client, make an isFeatureEnabled.
const flags = openFeatureFlags({ getBooleanDetails: async (_key: string, defaultValue: boolean) => ({ value: defaultValue }) })
expectType<IsFeatureEnabled>(flags)
app.register(notImplemented, { isFeatureEnabled: flags })
app.register(notImplemented, {
  isFeatureEnabled: openFeatureFlags(OpenFeature.getClient(), {
    context: (request) => ({ targetingKey: request.headers['x-user-id'], plan: 'free' })
  })
})
expectError(openFeatureFlags({ getBooleanDetails: async (_key: string) => ({ value: 'on' }) }))
expectError(openFeatureFlags({ getBooleanValue: async (_key: string, defaultValue: boolean) => defaultValue }))
expectError(openFeatureFlags({}))
expectError(openFeatureFlags(OpenFeature.getClient(), { context: 'user' }))

// Observability: the channel names, the messages, and a real OpenTelemetry Meter.
expectType<'fastify-not-implemented:decision'>(notImplemented.diagnosticsChannels.decision)
expectType<() => void>(notImplemented.openTelemetryMetrics(metrics.getMeter('api')))
expectError(notImplemented.openTelemetryMetrics({}))
declare const decision: DecisionMessage
expectType<string | null>(decision.route)
expectType<Outcome>(decision.code)

// The entitlement cache, the hidden denial and the upgrade link.
{
  const { Redis } = require('ioredis') as typeof import('ioredis')
  const redis = new Redis({ lazyConnect: true })
  const tenantOf = (request: FastifyRequest): string | undefined => request.headers['x-tenant'] as string | undefined
  expectAssignable<FastifyNotImplementedOptions>({ resolveTier: () => 'free', tierCache: { key: tenantOf } })
  expectAssignable<FastifyNotImplementedOptions>({ resolveTier: () => 'free', tierCache: { key: tenantOf, ttl: 1000, staleIfError: 0, max: 10, redis } })
  expectAssignable<FastifyNotImplementedOptions>({ hideBelowTier: true, upgradeUrl: 'https://example.com/billing' })
  expectAssignable<FastifyNotImplementedOptions>({ upgradeUrl: (tier: string, request: FastifyRequest) => `https://example.com/upgrade?to=${tier}&from=${request.url}` })
  expectAssignable<FastifyNotImplementedOptions>({ upgradeUrl: () => undefined })
  expectNotAssignable<FastifyNotImplementedOptions>({ tierCache: { ttl: 1000 } })
  expectNotAssignable<FastifyNotImplementedOptions>({ tierCache: { key: tenantOf, ttl: '30s' } })
  expectNotAssignable<FastifyNotImplementedOptions>({ tierCache: { key: tenantOf, redis: {} } })
  expectNotAssignable<FastifyNotImplementedOptions>({ hideBelowTier: 'yes' })
  expectNotAssignable<FastifyNotImplementedOptions>({ upgradeUrl: 42 })
  expectType<Promise<void>>(app.invalidateTier('acme'))
  expectError(app.invalidateTier(42))
  expectType<string | undefined>(new errors.FST_TIER_REQUIRED().upgradeUrl)
  expectType<string | undefined>(({} as Static<typeof schemas.FST_TIER_REQUIRED>).upgradeUrl)
}
