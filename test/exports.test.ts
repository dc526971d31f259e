// Every export form of the built package, from CommonJS and from ES modules.
import { test } from 'tap'
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import Fastify from 'fastify'
import notImplemented = require('..')

const root = resolve(__dirname, '..')

const exportNames = ['clientErrorHandler', 'default', 'diagnosticsChannels', 'errors', 'fastifyNotImplemented', 'notImplemented', 'openFeatureFlags', 'openTelemetryMetrics', 'problemSchemas', 'schemas']

// What types/index.d.ts promises for each code: the status, and the body fields beyond
// Fastify's error shape (required, and optional).
const contract = {
  FST_METHOD_NOT_IMPLEMENTED: { statusCode: [501], required: [], optional: [] },
  FST_METHOD_NOT_ALLOWED: { statusCode: [405], required: ['allow'], optional: [] },
  FST_TIER_REQUIRED: { statusCode: [501, 402, 403], required: [], optional: ['requiredTier', 'upgradeUrl'] },
  FST_FEATURE_DISABLED: { statusCode: [501], required: ['feature'], optional: [] },
  FST_ENDPOINT_NOT_IMPLEMENTED: { statusCode: [501], required: [], optional: [] },
  FST_TIER_UNAVAILABLE: { statusCode: [503], required: [], optional: [] },
  FST_VERSION_NOT_IMPLEMENTED: { statusCode: [501, 406, 404], required: ['version'], optional: [] },
  FST_ENDPOINT_GONE: { statusCode: [410], required: [], optional: [] }
} as const
type Code = keyof typeof contract
const codes = Object.keys(contract) as Code[]

interface JsonSchema {
  $id?: string
  title?: string
  type?: string
  const?: unknown
  anyOf?: JsonSchema[]
  required?: string[]
  properties?: Record<string, JsonSchema>
}

// The literal values a TypeBox literal, or a union of literals, allows.
function literals (schema: JsonSchema | undefined): unknown[] {
  if (schema === undefined) return []
  if (schema.anyOf !== undefined) return schema.anyOf.flatMap(literals)
  return 'const' in schema ? [schema.const] : []
}

// The children run without the test runner's loaders and coverage hooks.
function childEnv (): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  return env
}

test('require() gives the plugin, with every export on it', async (t) => {
  t.type(notImplemented, 'function')
  t.same(Object.keys(notImplemented).sort(), exportNames, 'exactly the exports types/index.d.ts declares')
  t.equal(notImplemented.default, notImplemented, '.default is the plugin')
  t.equal(notImplemented.notImplemented, notImplemented, '.notImplemented is the plugin')
  t.equal(notImplemented.fastifyNotImplemented, notImplemented, '.fastifyNotImplemented is the plugin')
  t.type(notImplemented.clientErrorHandler, 'function')
  t.type(notImplemented.openFeatureFlags, 'function')
  t.type(notImplemented.errors, 'object')
  t.type(notImplemented.schemas, 'object')

  const plugin = notImplemented as unknown as Record<symbol, unknown>
  t.equal(plugin[Symbol.for('skip-override')], true, 'fastify-plugin: not encapsulated')
  t.match(plugin[Symbol.for('plugin-meta')], { name: 'fastify-not-implemented', fastify: '5.x' }, 'fastify-plugin metadata')
})

test('the package name resolves through the exports map to the same module', async (t) => {
  t.equal(require.resolve('fastify-not-implemented'), join(root, 'dist', 'index.js'))
  t.equal(require('fastify-not-implemented'), notImplemented)
  t.equal(require('fastify-not-implemented/package.json').name, 'fastify-not-implemented')
  t.throws(() => require('fastify-not-implemented/dist/errors.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' }, 'internals are not exported')
})

test('every form of the plugin registers and answers', async (t) => {
  const forms = {
    'module.exports': notImplemented,
    default: notImplemented.default,
    notImplemented: notImplemented.notImplemented,
    fastifyNotImplemented: notImplemented.fastifyNotImplemented
  }
  for (const [name, plugin] of Object.entries(forms)) {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(plugin)
    app.get('/', async () => 'ok')
    const res = await app.inject({ method: 'PROPFIND', url: '/' })
    t.equal(res.statusCode, 501, `${name}: PROPFIND gets 501`)
    t.equal(res.json().code, 'FST_METHOD_NOT_IMPLEMENTED', `${name}: with its code`)
  }
})

test('the instance decorators the types declare exist', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(notImplemented)
  t.ok(app.hasDecorator('declareRoute'), 'declareRoute')
  t.ok(app.hasDecorator('capabilities'), 'capabilities')
  t.equal(app.declareRoute({ method: 'GET', url: '/later' }), app, 'declareRoute returns the instance')
  await app.ready()
  const matrix = app.capabilities()
  t.type(matrix.digest, 'string')
  t.match(matrix.routes, [{ path: '/later', methods: [{ method: 'GET', implemented: false }] }])
})

test('clientErrorHandler is accepted by Fastify()', async (t) => {
  const app = Fastify({ clientErrorHandler: notImplemented.clientErrorHandler })
  t.teardown(() => app.close())
  await t.resolves(Promise.resolve(app.ready()), 'Fastify() takes it')
})

test('errors: one constructor per code, with its code and status', async (t) => {
  const { errors } = notImplemented
  t.same(Object.keys(errors).sort(), [...codes].sort(), 'the seven codes')
  for (const code of codes) {
    const ErrorClass = errors[code]
    const error = new ErrorClass()
    t.ok(error instanceof ErrorClass, `${code}: instanceof its constructor`)
    t.ok(error instanceof Error, `${code}: instanceof Error`)
    t.equal(error.code, code, `${code}: code`)
    t.equal(error.statusCode, contract[code].statusCode[0], `${code}: statusCode`)
    t.ok(ErrorClass() instanceof ErrorClass, `${code}: callable without new`)
    for (const other of codes) {
      if (other !== code) t.notOk(error instanceof errors[other], `${code} is not instanceof ${other}`)
    }
  }
  const notAllowed = new errors.FST_METHOD_NOT_ALLOWED('PATCH', '/users')
  t.match(notAllowed.message, /PATCH.*\/users/, 'the message names the method and path')
})

test('schemas: one TypeBox object per code, matching the types', async (t) => {
  const schemas = notImplemented.schemas as unknown as Record<string, JsonSchema>
  t.same(Object.keys(schemas).sort(), [...codes].sort(), 'the seven codes')
  for (const code of codes) {
    const schema = schemas[code]
    const { statusCode, required, optional } = contract[code]
    t.equal(schema.$id, `fastify-not-implemented/${code}`, `${code}: $id`)
    t.equal(schema.title, code, `${code}: title`)
    t.equal(schema.type, 'object', `${code}: an object`)
    t.same(literals(schema.properties?.code), [code], `${code}: code is the literal`)
    t.same(literals(schema.properties?.statusCode).sort(), [...statusCode].sort(), `${code}: statusCode literals`)
    t.equal(schema.properties?.error?.type, 'string', `${code}: error is a string`)
    t.equal(schema.properties?.message?.type, 'string', `${code}: message is a string`)
    t.same([...(schema.required ?? [])].sort(), ['statusCode', 'code', 'error', 'message', ...required].sort(), `${code}: required fields`)
    t.same(Object.keys(schema.properties ?? {}).sort(),
      ['statusCode', 'code', 'error', 'message', ...required, ...optional].sort(), `${code}: no undeclared fields`)
  }

  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(notImplemented, { sharedSchemas: true })
  const registered = app.getSchemas() as Record<string, unknown>
  const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null))
  for (const code of codes) {
    t.same(json(registered[`fastify-not-implemented/${code}`]), json(schemas[code]), `${code} is registered under its $id`)
  }
})

// A body each schema must accept, and the same with another status: one it must refuse.
function sampleBody (code: Code): Record<string, unknown> {
  const body: Record<string, unknown> = { statusCode: contract[code].statusCode[0], code, error: 'Not Implemented', message: 'no' }
  for (const field of contract[code].required) body[field] = field === 'allow' ? ['GET', 'HEAD'] : 'x'
  return body
}

test('schemas: TypeBox 0.34 and TypeBox 1.x check bodies against them alike', async (t) => {
  const { Value: ValueZero } = await import('@sinclair/typebox/value')
  const { Value: ValueOne } = await import('typebox/value')
  const lines = { '@sinclair/typebox 0.34': ValueZero, 'typebox 1.x': ValueOne }
  for (const [line, Value] of Object.entries(lines) as Array<[string, { Check: (schema: unknown, value: unknown) => boolean }]>) {
    for (const code of codes) {
      const schema = notImplemented.schemas[code]
      t.ok(Value.Check(schema, sampleBody(code)), `${line}: ${code} accepts its body`)
      t.notOk(Value.Check(schema, { ...sampleBody(code), statusCode: 200 }), `${line}: ${code} refuses another status`)
    }
  }
})

test('ES modules: default and named imports are the plugin and its exports', async (t) => {
  const script = `
    import { createRequire } from 'node:module'
    import Fastify from 'fastify'
    import notImplemented, { notImplemented as named, fastifyNotImplemented, clientErrorHandler, openFeatureFlags, errors, schemas } from 'fastify-not-implemented'
    const required = createRequire(import.meta.url)('fastify-not-implemented')
    const namespace = await import('fastify-not-implemented')
    const app = Fastify()
    await app.register(named)
    app.get('/', async () => 'ok')
    const res = await app.inject({ method: 'PROPFIND', url: '/' })
    await app.close()
    console.log(JSON.stringify({
      defaultIsRequire: notImplemented === required,
      namedAreTheSame: [named, fastifyNotImplemented, notImplemented.default].every((f) => f === required),
      valuesAreTheSame: clientErrorHandler === required.clientErrorHandler && openFeatureFlags === required.openFeatureFlags &&
        errors === required.errors && schemas === required.schemas,
      namespace: Object.keys(namespace).filter((name) => name !== '__esModule').sort(),
      errorCodes: Object.keys(errors).sort(),
      propfind: res.statusCode
    }))
  `
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env: childEnv(), encoding: 'utf8', timeout: 30_000 })
  t.equal(child.status, 0, 'the ES module script runs', { stderr: child.stderr })
  t.same(JSON.parse(child.stdout), {
    defaultIsRequire: true,
    namedAreTheSame: true,
    valuesAreTheSame: true,
    namespace: exportNames,
    errorCodes: [...codes].sort(),
    propfind: 501
  })
})
