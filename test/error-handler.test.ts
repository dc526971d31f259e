import { test } from 'tap'
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import { request } from 'undici'
import notImplemented = require('..')
import { notAllowedBody, versionNotImplementedBody } from './helpers/bodies'
import { listen } from './helpers/http'

const { errors, schemas } = notImplemented

interface PluginFields {
  allow?: string[]
  version?: string
  headers?: Record<string, string>
}

// An app's own error format, as many APIs have one.
function problemHandler (error: FastifyError & PluginFields, _request: unknown, reply: { code: (n: number) => { type: (t: string) => { send: (b: unknown) => void } } }): void {
  reply.code(error.statusCode ?? 500).type('application/problem+json').send({
    type: `urn:problem:${error.code}`,
    title: error.message,
    allow: error.allow,
    version: error.version,
    kinds: {
      methodNotAllowed: error instanceof errors.FST_METHOD_NOT_ALLOWED,
      methodNotImplemented: error instanceof errors.FST_METHOD_NOT_IMPLEMENTED,
      versionNotImplemented: error instanceof errors.FST_VERSION_NOT_IMPLEMENTED
    },
    headers: error.headers
  })
}

async function build (): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/users', async () => [])
  app.delete('/sessions', async () => ({}))
  app.get('/report', { constraints: { version: '1.0.0' } }, async () => ({ v: 1 }))
  return app
}

test('with Fastify\'s default error handler the documented body is sent', async (t) => {
  const app = await build()
  const res = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(res.statusCode, 405)
  t.same(res.json(), notAllowedBody('DELETE', '/users', ['GET', 'HEAD', 'OPTIONS']))
  const version = await app.inject({ method: 'GET', url: '/report', headers: { 'accept-version': '2.x' } })
  t.same(version.json(), versionNotImplementedBody('GET', '/report', '2.x'))
})

test('the app\'s error handler formats the errors; Allow, Cache-Control and Vary survive it', async (t) => {
  const app = await build()
  app.setErrorHandler(problemHandler)
  const { origin } = await listen(t, app)

  const notAllowed = await request(origin + '/users', { method: 'DELETE' })
  t.equal(notAllowed.statusCode, 405)
  t.equal(notAllowed.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(notAllowed.headers.allow, 'GET, HEAD, OPTIONS')
  t.equal(notAllowed.headers['cache-control'], 'max-age=60')
  t.equal(notAllowed.headers.vary, 'Accept-Version')
  t.same(await notAllowed.body.json(), {
    type: 'urn:problem:FST_METHOD_NOT_ALLOWED',
    title: 'Method DELETE is not allowed on /users',
    allow: ['GET', 'HEAD', 'OPTIONS'],
    kinds: { methodNotAllowed: true, methodNotImplemented: false, versionNotImplemented: false },
    headers: { 'cache-control': 'max-age=60', vary: 'Accept-Version', allow: 'GET, HEAD, OPTIONS' }
  })

  const notImplementedRes = await request(origin + '/users', { method: 'PROPFIND' })
  t.equal(notImplementedRes.statusCode, 501)
  t.equal(notImplementedRes.headers['cache-control'], 'max-age=60')
  t.match(await notImplementedRes.body.json(), {
    type: 'urn:problem:FST_METHOD_NOT_IMPLEMENTED',
    kinds: { methodNotAllowed: false, methodNotImplemented: true, versionNotImplemented: false }
  })

  const version = await request(origin + '/report', { headers: { 'accept-version': '2.x' } })
  t.equal(version.statusCode, 501)
  t.equal(version.headers.vary, 'Accept-Version')
  t.match(await version.body.json(), {
    type: 'urn:problem:FST_VERSION_NOT_IMPLEMENTED',
    version: '2.x',
    kinds: { versionNotImplemented: true }
  })
})

test('an error handler that passes the error on still leaves the headers in place', async (t) => {
  const app = await build()
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('vary', 'Origin')
  })
  app.setErrorHandler(async (error) => {
    throw error
  })
  const res = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(res.statusCode, 405)
  t.same(res.json(), {
    statusCode: 405,
    code: 'FST_METHOD_NOT_ALLOWED',
    error: 'Method Not Allowed',
    message: 'Method DELETE is not allowed on /users'
  }, 'Fastify\'s default handler has the last word on the body')
  t.equal(res.headers.allow, 'GET, HEAD, OPTIONS')
  t.equal(res.headers['cache-control'], 'max-age=60')
  t.equal(res.headers.vary, 'Origin, Accept-Version')
})

test('an encapsulated error handler applies under its prefix, with its not-found handler', async (t) => {
  const app = await build()
  app.register(async (api) => {
    api.setErrorHandler(problemHandler)
    api.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ type: 'urn:problem:not-found' }))
    api.get('/things', async () => [])
  }, { prefix: '/api' })
  const inside = await app.inject({ method: 'DELETE', url: '/api/things' })
  t.equal(inside.statusCode, 405)
  t.match(inside.json(), { type: 'urn:problem:FST_METHOD_NOT_ALLOWED', allow: ['GET', 'HEAD', 'OPTIONS'] })
  t.equal(inside.headers.allow, 'GET, HEAD, OPTIONS')
  const outside = await app.inject({ method: 'DELETE', url: '/users' })
  t.same(outside.json(), notAllowedBody('DELETE', '/users', ['GET', 'HEAD', 'OPTIONS']))
})

test('errors: one constructor per code, instanceof-able, in Fastify\'s error shape', async (t) => {
  const cases = [
    { code: 'FST_METHOD_NOT_IMPLEMENTED', args: ['BREW'], statusCode: 501, message: 'Method BREW is not implemented by this server' },
    { code: 'FST_METHOD_NOT_ALLOWED', args: ['DELETE', '/users'], statusCode: 405, message: 'Method DELETE is not allowed on /users' },
    { code: 'FST_TIER_REQUIRED', args: ['plus'], statusCode: 501, message: 'This endpoint requires the plus plan' },
    { code: 'FST_FEATURE_DISABLED', args: ['beta'], statusCode: 501, message: 'Feature beta is not enabled' },
    { code: 'FST_ENDPOINT_NOT_IMPLEMENTED', args: ['GET', '/planned'], statusCode: 501, message: 'Endpoint GET /planned is declared but not implemented' },
    { code: 'FST_TIER_UNAVAILABLE', args: [], statusCode: 503, message: 'The caller\'s plan could not be determined' },
    { code: 'FST_VERSION_NOT_IMPLEMENTED', args: ['2.x', 'GET', '/report'], statusCode: 501, message: 'Version 2.x of GET /report is not implemented' },
    { code: 'FST_ENDPOINT_GONE', args: ['GET', '/v1/orders'], statusCode: 410, message: 'Endpoint GET /v1/orders has been retired' }
  ] as const
  t.same(Object.keys(errors).sort(), cases.map((c) => c.code).sort())
  for (const { code, args, statusCode, message } of cases) {
    const Constructor = errors[code] as unknown as new (...a: readonly string[]) => FastifyError
    const error = new Constructor(...args)
    t.ok(error instanceof Constructor, code)
    t.ok(error instanceof Error)
    t.equal(error.code, code)
    t.equal(error.statusCode, statusCode)
    t.equal(error.message, message)
    const other = code === 'FST_METHOD_NOT_ALLOWED' ? errors.FST_METHOD_NOT_IMPLEMENTED : errors.FST_METHOD_NOT_ALLOWED
    t.notOk(error instanceof other, 'each code its own class')
  }
})

test('with sharedSchemas, schemas are registered under fastify-not-implemented/<CODE> and usable as $ref', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, { sharedSchemas: true })
  app.get('/users', {
    schema: {
      response: {
        405: { $ref: 'fastify-not-implemented/FST_METHOD_NOT_ALLOWED#' },
        501: { $ref: 'fastify-not-implemented/FST_METHOD_NOT_IMPLEMENTED#' }
      }
    }
  }, async (request, reply) => {
    if (request.query && (request.query as { kind?: string }).kind === '501') {
      return reply.code(501).send({ statusCode: 501, code: 'FST_METHOD_NOT_IMPLEMENTED', error: 'Not Implemented', message: 'no', internal: 'hidden' })
    }
    return reply.code(405).send({ ...notAllowedBody('GET', '/users', ['POST']), internal: 'hidden' })
  })
  await app.ready()

  for (const [code, schema] of Object.entries(schemas)) {
    t.equal(schema.$id, `fastify-not-implemented/${code}`)
    const registered = app.getSchema(`fastify-not-implemented/${code}`)
    t.same(JSON.parse(JSON.stringify(registered)), JSON.parse(JSON.stringify(schema)), `${code} is registered`)
  }
  const notAllowed = await app.inject({ method: 'GET', url: '/users' })
  t.same(notAllowed.json(), notAllowedBody('GET', '/users', ['POST']), 'serialized by the referenced schema')
  const notImplementedRes = await app.inject({ method: 'GET', url: '/users?kind=501' })
  t.same(notImplementedRes.json(), { statusCode: 501, code: 'FST_METHOD_NOT_IMPLEMENTED', error: 'Not Implemented', message: 'no' })
})

test('by default no schema is registered, and a route can use the exported schema itself', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/users', { schema: { response: { 405: schemas.FST_METHOD_NOT_ALLOWED } } }, async (_request, reply) => {
    return reply.code(405).send({ ...notAllowedBody('GET', '/users', ['POST']), internal: 'hidden' })
  })
  await app.ready()
  t.same(Object.keys(app.getSchemas()), [])
  const res = await app.inject({ method: 'GET', url: '/users' })
  t.equal(res.statusCode, 405)
  t.same(res.json(), notAllowedBody('GET', '/users', ['POST']), 'serialized by the schema')
})
