import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import { validate } from '@readme/openapi-parser'
import notImplemented = require('..')
import { tierRequiredBody } from './helpers/bodies'

type Options = NonNullable<Parameters<typeof notImplemented>[1]>
type Json = Record<string, any>

// With `sharedSchemas` the bodies are components the document refers to (the test at the end
// of this file shows the default, where they are inline).
const gating: Options = {
  tiers: ['free', 'plus', 'pro'],
  resolveTier: (request) => request.headers['x-tier'] as string | undefined,
  isFeatureEnabled: (feature, request) => request.headers['x-features'] === feature,
  sharedSchemas: true
}

const petSchema = {
  response: {
    200: { type: 'object', properties: { name: { type: 'string' } } }
  }
}

function addRoutes (app: FastifyInstance, shared: Json): void {
  app.get('/pets', { schema: shared }, async () => ({ name: 'Rex' }))
  app.post('/pets', { schema: shared, config: { tier: 'plus' } }, async () => ({ name: 'Rex' }))
  app.get('/reports', { config: { feature: 'reports' } }, async () => ({}))
  app.get('/exports', { config: { tier: 'pro', feature: 'exports' } }, async () => ({}))
  app.declareRoute({ method: 'DELETE', url: '/pets/:petId', schema: { summary: 'Delete a pet' }, config: { tier: 'pro' } })
  app.get('/search', { constraints: { version: '1.0.0' } }, async () => [])
  app.get('/own', {
    config: { tier: 'plus' },
    schema: { response: { 501: { description: 'Our own 501', type: 'object', properties: { reason: { type: 'string' } } } } }
  }, async () => ({}))
}

async function build (swaggerFirst: boolean, options: Options = gating, shared: Json = structuredClone(petSchema)): Promise<{ app: FastifyInstance, doc: Json }> {
  const app = Fastify()
  const registerSwagger = async (): Promise<void> => { await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'pets', version: '1.0.0' } } }) }
  if (swaggerFirst) await registerSwagger()
  await app.register(notImplemented, { ...options, capabilitiesRoute: '/.well-known/capabilities' })
  if (!swaggerFirst) await registerSwagger()
  addRoutes(app, shared)
  await app.ready()
  return { app, doc: app.swagger() as Json }
}

// The component a `$ref` of the document points at.
function component (doc: Json, ref: string): Json {
  const name = ref.replace('#/components/schemas/', '')
  return doc.components.schemas[name]
}

function refTitle (doc: Json, schema: Json): string {
  return component(doc, schema.$ref).title
}

function jsonSchemaOf (response: Json): Json {
  return response.content['application/json'].schema
}

for (const swaggerFirst of [false, true]) {
  const order = swaggerFirst ? '@fastify/swagger registered first' : 'the plugin registered first'

  test(`the OpenAPI document shows the plugin's answers per operation (${order})`, async (t) => {
    const { doc } = await build(swaggerFirst)
    const { paths } = doc

    // A plain operation: only its own responses.
    t.same(Object.keys(paths['/pets'].get.responses), ['200'])
    t.equal(paths['/pets'].get['x-tier'], undefined)

    // A tier-gated operation: 501 FST_TIER_REQUIRED, 503 FST_TIER_UNAVAILABLE with Retry-After, x-tier.
    const post = paths['/pets'].post
    t.equal(post['x-tier'], 'plus')
    t.equal(post['x-feature'], undefined)
    t.equal(post['x-not-implemented'], undefined)
    t.same(Object.keys(post.responses).sort(), ['200', '501', '503'])
    t.equal(post.responses['501'].description, 'Requires the "plus" plan or a higher one (FST_TIER_REQUIRED)')
    t.equal(refTitle(doc, jsonSchemaOf(post.responses['501'])), 'FST_TIER_REQUIRED')
    t.equal(post.responses['503'].description, 'The caller\'s plan or feature flags could not be determined; retry after Retry-After seconds (FST_TIER_UNAVAILABLE)')
    t.equal(refTitle(doc, jsonSchemaOf(post.responses['503'])), 'FST_TIER_UNAVAILABLE')
    t.same(post.responses['503'].headers, { 'retry-after': { schema: { type: 'integer' }, description: 'Seconds to wait before retrying' } })

    // A feature-gated operation.
    const reports = paths['/reports'].get
    t.equal(reports['x-feature'], 'reports')
    t.equal(reports['x-tier'], undefined)
    t.equal(reports.responses['501'].description, 'Feature "reports" is off for the caller (FST_FEATURE_DISABLED)')
    t.equal(refTitle(doc, jsonSchemaOf(reports.responses['501'])), 'FST_FEATURE_DISABLED')
    t.equal(refTitle(doc, jsonSchemaOf(reports.responses['503'])), 'FST_TIER_UNAVAILABLE')

    // Both gates: one 501, either body.
    const exportsOp = paths['/exports'].get
    t.equal(exportsOp['x-tier'], 'pro')
    t.equal(exportsOp['x-feature'], 'exports')
    t.same(jsonSchemaOf(exportsOp.responses['501']).oneOf.map((s: Json) => refTitle(doc, s)), ['FST_TIER_REQUIRED', 'FST_FEATURE_DISABLED'])
    t.equal(exportsOp.responses['501'].description, 'Requires the "pro" plan or a higher one (FST_TIER_REQUIRED); or Feature "exports" is off for the caller (FST_FEATURE_DISABLED)')

    // Declared but not built: marked as such, 501 FST_ENDPOINT_NOT_IMPLEMENTED only.
    const del = paths['/pets/{petId}'].delete
    t.equal(del['x-not-implemented'], true)
    t.equal(del['x-tier'], 'pro')
    t.equal(del.summary, 'Delete a pet')
    t.same(Object.keys(del.responses), ['200', '501'])
    t.same(del.responses['200'], { description: 'Default Response' })
    t.equal(del.responses['501'].description, 'Declared in the API, not implemented by this server (FST_ENDPOINT_NOT_IMPLEMENTED)')
    t.equal(refTitle(doc, jsonSchemaOf(del.responses['501'])), 'FST_ENDPOINT_NOT_IMPLEMENTED')

    // A versioned operation can answer 501 FST_VERSION_NOT_IMPLEMENTED.
    const search = paths['/search'].get
    t.equal(refTitle(doc, jsonSchemaOf(search.responses['501'])), 'FST_VERSION_NOT_IMPLEMENTED')
    // The route has no responses of its own: the 200 @fastify/swagger shows for it stays.
    t.same(Object.keys(search.responses).sort(), ['200', '501'])
    t.same(search.responses['200'], { description: 'Default Response' })
    t.same(paths['/reports'].get.responses['200'], { description: 'Default Response' })

    // A response the route defines itself is kept.
    const own = paths['/own'].get
    t.equal(own.responses['501'].description, 'Our own 501')
    t.same(Object.keys(jsonSchemaOf(own.responses['501']).properties), ['reason'])
    t.equal(refTitle(doc, jsonSchemaOf(own.responses['503'])), 'FST_TIER_UNAVAILABLE')

    // Every exported schema is a component, FST_METHOD_NOT_ALLOWED too (it is the answer to
    // an operation that does not exist, so no operation lists it).
    const titles = Object.values(doc.components.schemas).map((s: any) => s.title).sort()
    t.same(titles, [
      'FST_ENDPOINT_GONE', 'FST_ENDPOINT_NOT_IMPLEMENTED', 'FST_FEATURE_DISABLED', 'FST_METHOD_NOT_ALLOWED', 'FST_METHOD_NOT_IMPLEMENTED',
      'FST_TIER_REQUIRED', 'FST_TIER_UNAVAILABLE', 'FST_VERSION_NOT_IMPLEMENTED'
    ])
    t.same(component(doc, jsonSchemaOf(post.responses['501']).$ref).required, ['statusCode', 'code', 'error', 'message'])
    t.same(component(doc, jsonSchemaOf(reports.responses['501']).$ref).properties.feature, { description: 'The feature flag that is off for this caller', type: 'string' })

    // The capability route describes the API and stays out of its document.
    t.equal(paths['/.well-known/capabilities'], undefined)

    // The document is valid OpenAPI 3.1.
    const result = await validate(structuredClone(doc) as any)
    t.equal(result.valid, true, JSON.stringify(result))
  })
}

test('both registration orders give the same document', async (t) => {
  const first = await build(false)
  const second = await build(true)
  t.same(first.doc, second.doc)
  t.match(second.app.swagger({ yaml: true }), /x-tier: plus/)
})

test('the added responses document the answers and never change how a reply is serialized', async (t) => {
  const shared = structuredClone(petSchema)
  const { app } = await build(false, gating, shared)
  // The user's schema object, shared by two routes, is untouched (Fastify marks it with a
  // symbol of its own, which JSON leaves out).
  t.same(JSON.parse(JSON.stringify(shared)), petSchema)

  const tooLow = await app.inject({ method: 'POST', url: '/pets', headers: { 'x-tier': 'free' } })
  t.equal(tooLow.statusCode, 501)
  t.same(tooLow.json(), tierRequiredBody())
  const allowed = await app.inject({ method: 'POST', url: '/pets', headers: { 'x-tier': 'plus' } })
  t.same(allowed.json(), { name: 'Rex' })
})

test('a handler\'s own 503 on a gated route is not reshaped by the documented schema', async (t) => {
  const app = Fastify()
  await app.register(swagger, { openapi: {} })
  await app.register(notImplemented, gating)
  app.get('/busy', { config: { tier: 'free' } }, async (_request, reply) => reply.code(503).send({ reason: 'maintenance' }))
  await app.ready()
  t.ok((app.swagger() as Json).paths['/busy'].get.responses['503'])
  const res = await app.inject({ url: '/busy', headers: { 'x-tier': 'free' } })
  t.equal(res.statusCode, 503)
  t.same(res.json(), { reason: 'maintenance' })
})

test('tierRequiredStatus moves FST_TIER_REQUIRED to 403 in the document', async (t) => {
  const { doc } = await build(false, { ...gating, tierRequiredStatus: 403 })
  const post = doc.paths['/pets'].post
  t.same(Object.keys(post.responses).sort(), ['200', '403', '503'])
  t.equal(refTitle(doc, jsonSchemaOf(post.responses['403'])), 'FST_TIER_REQUIRED')
  // With both gates, the tier and the feature answers are under their own statuses.
  const exportsOp = doc.paths['/exports'].get
  t.equal(refTitle(doc, jsonSchemaOf(exportsOp.responses['403'])), 'FST_TIER_REQUIRED')
  t.equal(refTitle(doc, jsonSchemaOf(exportsOp.responses['501'])), 'FST_FEATURE_DISABLED')
})

test('with exposeRequiredTier: false the document keeps the plan names to itself too', async (t) => {
  const { doc } = await build(false, { ...gating, exposeRequiredTier: false })
  const post = doc.paths['/pets'].post
  t.equal(post['x-tier'], undefined)
  t.equal(post.responses['501'].description, 'Not available on the caller\'s plan (FST_TIER_REQUIRED)')
  t.notMatch(JSON.stringify(doc), /"plus"|"pro"/)
})

test('an x- extension the route sets itself wins', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, gating)
  await app.register(swagger, { openapi: {} })
  app.get('/a', { config: { tier: 'plus' }, schema: { 'x-tier': 'Plus plan' } as object }, async () => ({}))
  await app.ready()
  t.equal((app.swagger() as Json).paths['/a'].get['x-tier'], 'Plus plan')
})

test('a route declared before the plugin stops the app from starting, with swagger registered first too', async (t) => {
  const app = Fastify()
  await app.register(swagger, { openapi: {} })
  app.get('/early', { config: { tier: 'plus' } }, async () => ({}))
  app.register(notImplemented, gating)
  await t.rejects(Promise.resolve(app.ready()), { message: /^fastify-not-implemented: 1 route\(s\) were declared before the plugin loaded, .*\/early \(GET, HEAD\)/ })
})

test('a refResolver can name the components after their codes, as the README shows', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, gating)
  await app.register(swagger, {
    openapi: {},
    refResolver: {
      buildLocalReference: (json: Json, _baseUri: unknown, _fragment: unknown, i: number) =>
        typeof json.$id === 'string' && json.$id.startsWith('fastify-not-implemented/') ? json.title : `def-${i}`
    }
  })
  app.post('/pets', { config: { tier: 'plus' } }, async () => ({}))
  await app.ready()
  const doc = app.swagger() as Json
  t.same(doc.paths['/pets'].post.responses['501'].content['application/json'].schema, { $ref: '#/components/schemas/FST_TIER_REQUIRED' })
  t.same(doc.paths['/pets'].post.responses['503'].content['application/json'].schema, { $ref: '#/components/schemas/FST_TIER_UNAVAILABLE' })
  t.equal(doc.components.schemas.FST_METHOD_NOT_ALLOWED.title, 'FST_METHOD_NOT_ALLOWED')
})

test('deprecated and retired operations: deprecated, x-sunset, and their 410 in @fastify/swagger\'s document', async (t) => {
  for (const swaggerFirst of [false, true]) {
    const app = Fastify()
    if (swaggerFirst) await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'orders', version: '1.0.0' } } })
    await app.register(notImplemented, gating)
    if (!swaggerFirst) await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'orders', version: '1.0.0' } } })
    app.get('/v1/orders', { config: { deprecation: { date: '2026-01-15', sunset: '2026-07-01T12:00:00Z', link: 'https://example.com/m' } }, schema: petSchema }, async () => ({ name: 'Rex' }))
    app.get('/v1/report', { config: { deprecation: { date: '2026-01-15' } } }, async () => ({}))
    app.post('/v1/orders', { config: { gone: true, tier: 'plus' } }, async () => ({}))
    app.declareRoute({ method: 'DELETE', url: '/v1/orders', config: { gone: true, deprecation: { date: '2025-01-01', sunset: '2025-06-01' } } })
    await app.ready()
    const doc = app.swagger() as Json
    const result = await validate(structuredClone(doc) as any)
    t.equal(result.valid, true, JSON.stringify(result))
    const orders = doc.paths['/v1/orders']

    const get = orders.get
    t.equal(get.deprecated, true)
    t.equal(get['x-sunset'], '2026-07-01T12:00:00.000Z')
    t.equal(get['x-gone'], undefined)
    t.same(Object.keys(get.responses).sort(), ['200', '410'])
    t.equal(get.responses['410'].description, 'Retired from its sunset (Wed, 01 Jul 2026 12:00:00 GMT) on (FST_ENDPOINT_GONE)')
    t.equal(refTitle(doc, jsonSchemaOf(get.responses['410'])), 'FST_ENDPOINT_GONE')
    t.same(component(doc, jsonSchemaOf(get.responses['410']).$ref).properties.statusCode, { type: 'number', enum: [410] })

    // Deprecated with no sunset: deprecated alone, no 410.
    const report = doc.paths['/v1/report'].get
    t.equal(report.deprecated, true)
    t.equal(report['x-sunset'], undefined)
    t.same(Object.keys(report.responses), ['200'])

    // Retired: 410 only, before any gate (no 501, no 503).
    const post = orders.post
    t.equal(post.deprecated, true)
    t.equal(post['x-gone'], true)
    t.equal(post['x-sunset'], undefined)
    t.same(Object.keys(post.responses).sort(), ['200', '410'])
    t.equal(post.responses['410'].description, 'The endpoint has been retired (gone, or past its sunset) and will not come back (FST_ENDPOINT_GONE)')

    const del = orders.delete
    t.equal(del.deprecated, true)
    t.equal(del['x-gone'], true)
    t.equal(del['x-sunset'], '2025-06-01T00:00:00.000Z')
    t.same(Object.keys(del.responses).sort(), ['200', '410'])
    await app.close()
  }
})

// The schema of a response documented in one media type alone: the one it is sent with.
function problemSchemaOf (response: Json): Json {
  const types = Object.keys(response.content)
  if (types.length !== 1 || types[0] !== 'application/problem+json') throw new Error(`expected problem+json content alone, got ${types.join(', ')}`)
  return response.content['application/problem+json'].schema
}

for (const swaggerFirst of [false, true]) {
  const order = swaggerFirst ? '@fastify/swagger registered first' : 'the plugin registered first'

  test(`with problemDetails the document shows application/problem+json and the problem schemas (${order})`, async (t) => {
    const { doc } = await build(swaggerFirst, { ...gating, problemDetails: true, versionNotImplementedStatus: 406 })
    const { paths } = doc
    const post = paths['/pets'].post
    t.same(Object.keys(post.responses).sort(), ['200', '501', '503'])
    t.equal(post.responses['501'].description, 'Requires the "plus" plan or a higher one (FST_TIER_REQUIRED)')
    t.equal(refTitle(doc, problemSchemaOf(post.responses['501'])), 'FST_TIER_REQUIRED.problem')
    t.equal(refTitle(doc, problemSchemaOf(post.responses['503'])), 'FST_TIER_UNAVAILABLE.problem')
    t.same(post.responses['503'].headers, { 'retry-after': { schema: { type: 'integer' }, description: 'Seconds to wait before retrying' } }, 'Retry-After stays documented')
    t.same(problemSchemaOf(paths['/exports'].get.responses['501']).oneOf.map((s: Json) => refTitle(doc, s)), ['FST_TIER_REQUIRED.problem', 'FST_FEATURE_DISABLED.problem'])
    t.equal(refTitle(doc, problemSchemaOf(paths['/pets/{petId}'].delete.responses['501'])), 'FST_ENDPOINT_NOT_IMPLEMENTED.problem')
    // The version answer under the status the option chose.
    const search = paths['/search'].get
    t.same(Object.keys(search.responses).sort(), ['200', '406'])
    t.equal(refTitle(doc, problemSchemaOf(search.responses['406'])), 'FST_VERSION_NOT_IMPLEMENTED.problem')
    // The app's own 200s and its own 501 keep their JSON.
    t.same(Object.keys(paths['/pets'].get.responses['200'].content), ['application/json'])
    t.same(Object.keys(paths['/own'].get.responses['501'].content), ['application/json'])

    const problem = component(doc, problemSchemaOf(post.responses['501']).$ref)
    t.same(problem.required, ['type', 'title', 'status', 'detail', 'code'])
    t.same(Object.keys(problem.properties), ['type', 'title', 'status', 'detail', 'code', 'requiredTier', 'upgradeUrl'])
    t.same(component(doc, problemSchemaOf(search.responses['406']).$ref).properties.status, { anyOf: [{ type: 'number', enum: [501] }, { type: 'number', enum: [406] }, { type: 'number', enum: [404] }] })

    const result = await validate(structuredClone(doc) as any)
    t.equal(result.valid, true, JSON.stringify(result))
  })
}

test('without problemDetails the document has no problem schema', async (t) => {
  const { doc } = await build(false)
  t.notMatch(JSON.stringify(doc), /problem/)
})

test('versionNotImplementedStatus: 404 moves the version answer to 404 in the document', async (t) => {
  const { doc } = await build(false, { ...gating, versionNotImplementedStatus: 404 })
  const search = doc.paths['/search'].get
  t.same(Object.keys(search.responses).sort(), ['200', '404'])
  t.equal(refTitle(doc, jsonSchemaOf(search.responses['404'])), 'FST_VERSION_NOT_IMPLEMENTED')
})

test('by default (sharedSchemas: false) each body is in the document inline, and nothing is registered', async (t) => {
  const app = Fastify()
  await app.register(swagger, { openapi: {} })
  await app.register(notImplemented, { ...gating, sharedSchemas: false })
  app.post('/pets', { config: { tier: 'plus', feature: 'bulk' } }, async () => ({}))
  await app.ready()
  t.same(Object.keys(app.getSchemas()), [])
  const doc = app.swagger() as Json
  t.same(doc.components.schemas, {}, 'no components')
  const responses = doc.paths['/pets'].post.responses
  t.same(Object.keys(responses).sort(), ['200', '501', '503'])
  const unavailable = jsonSchemaOf(responses['503'])
  t.equal(unavailable.title, 'FST_TIER_UNAVAILABLE')
  t.equal(unavailable.$id, undefined, 'no $id that nothing resolves')
  t.same(unavailable.required, ['statusCode', 'code', 'error', 'message'])
  t.same(jsonSchemaOf(responses['501']).oneOf.map((schema: Json) => schema.title), ['FST_TIER_REQUIRED', 'FST_FEATURE_DISABLED'])
  t.notMatch(JSON.stringify(doc), /\$ref/)
})
