import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import { Client } from 'undici'
import notImplemented = require('..')
import { declaredBody } from './helpers/bodies'
import { counted, logCapture, tierFromHeader, tiers } from './helpers/gating'
import { listen, rawExchange } from './helpers/http'

async function build (): Promise<{ app: FastifyInstance, handler: ReturnType<typeof counted<[], unknown>>, hooks: ReturnType<typeof counted<[], void>>, resolver: ReturnType<typeof counted<[import('fastify').FastifyRequest], string | undefined>> }> {
  const app = Fastify()
  const handler = counted(() => 'built after all')
  const hooks = counted(() => {})
  const resolver = counted(tierFromHeader)
  await app.register(notImplemented, { tiers, resolveTier: resolver })
  const later = {
    preParsing: async () => { hooks() },
    preValidation: async () => { hooks() },
    preHandler: async () => { hooks() }
  }
  app.get('/reports', { config: { implemented: false }, ...later }, async () => handler())
  app.post('/reports', {
    config: { implemented: false },
    schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
    ...later
  }, async () => handler())
  app.declareRoute({ method: 'GET', url: '/future' })
  return { app, handler, hooks, resolver }
}

test('implemented: false answers 501 FST_ENDPOINT_NOT_IMPLEMENTED; handler and later hooks never run', async (t) => {
  const { app, handler, hooks } = await build()
  const res = await app.inject({ url: '/reports' })
  t.equal(res.statusCode, 501)
  t.same(res.json(), declaredBody('GET', '/reports'))
  t.equal(res.headers['cache-control'], 'max-age=60')
  t.equal(res.headers.vary, undefined)
  t.equal(res.headers.allow, undefined)
  t.equal(handler.calls, 0)
  t.equal(hooks.calls, 0)
})

test('the body of a declared POST is never parsed or validated', async (t) => {
  const { app, handler, hooks } = await build()
  const bodies = [
    { payload: { name: 'ok' }, headers: {} },
    { payload: { wrong: 1 }, headers: {} }, // would be a 400
    { payload: '{not json', headers: { 'content-type': 'application/json' } }, // would be a 400
    { payload: '<x/>', headers: { 'content-type': 'application/xml' } } // would be a 415
  ]
  for (const { payload, headers } of bodies) {
    const res = await app.inject({ method: 'POST', url: '/reports', payload, headers })
    t.equal(res.statusCode, 501)
    t.same(res.json(), declaredBody('POST', '/reports'))
    t.equal(res.headers['cache-control'], 'max-age=60')
  }
  t.equal(handler.calls, 0)
  t.equal(hooks.calls, 0)
})

test('a 50 MB upload to a declared endpoint is answered at once, before the body is sent', async (t) => {
  const { app, handler } = await build()
  const { port } = await listen(t, app)
  const head = 'POST /reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n'
  const body = JSON.stringify(declaredBody('POST', '/reports'))
  const { text, firstResponseMs: ms } = await rawExchange(port, head)
  t.match(text, /^HTTP\/1\.1 501 Not Implemented\r\n/)
  t.match(text, /\r\ncache-control: max-age=60\r\n/i)
  // The server will not read and drop 50 MB to keep the connection: it closes it.
  t.match(text, /\r\nconnection: close\r\n/i)
  t.ok(text.endsWith('\r\n\r\n' + body), 'the whole 501 body arrived')
  t.ok(ms >= 0 && ms < 2000, `answered in ${ms} ms with no body sent`)
  t.equal(handler.calls, 0)
})

test('real socket: unread bodies do not spill into the next request on the connection', async (t) => {
  const { app, handler } = await build()
  const { origin } = await listen(t, app)
  const client = new Client(origin, { pipelining: 1 })
  t.teardown(() => client.close())
  for (let i = 0; i < 3; i++) {
    const res = await client.request({
      method: 'POST',
      path: '/reports',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(16 * 1024), i })
    })
    t.equal(res.statusCode, 501)
    t.equal(res.headers.connection, 'keep-alive')
    t.equal(res.headers['cache-control'], 'max-age=60')
    t.same(await res.body.json(), declaredBody('POST', '/reports'))
  }
  const get = await client.request({ method: 'GET', path: '/future' })
  t.equal(get.statusCode, 501)
  t.same(await get.body.json(), declaredBody('GET', '/future'))
  t.equal(handler.calls, 0)
})

test('declareRoute declares an endpoint with no handler', async (t) => {
  const { app } = await build()
  const res = await app.inject({ url: '/future' })
  t.equal(res.statusCode, 501)
  t.same(res.json(), declaredBody('GET', '/future'))
  t.equal(res.headers['cache-control'], 'max-age=60')

  const head = await app.inject({ method: 'HEAD', url: '/future' })
  t.equal(head.statusCode, 501)
  t.equal(head.body, '')
  t.equal(head.headers['cache-control'], 'max-age=60')
})

test('other methods at a declared path get 405, and Allow never names a declared but unbuilt method', async (t) => {
  const { app } = await build()
  // PUT, DELETE and PATCH are built elsewhere; GET and POST only have unbuilt routes.
  app.route({ method: ['PUT', 'DELETE', 'PATCH'], url: '/elsewhere', handler: async () => 'elsewhere' })
  for (const method of ['PUT', 'DELETE', 'PATCH'] as const) {
    const res = await app.inject({ method, url: '/future' })
    t.equal(res.statusCode, 405, method)
    t.equal(res.headers.allow, 'OPTIONS')
    t.equal(res.json().code, 'FST_METHOD_NOT_ALLOWED')
    t.same(res.json().allow, ['OPTIONS'])
  }
  const options = await app.inject({ method: 'OPTIONS', url: '/future' })
  t.equal(options.statusCode, 204)
  t.equal(options.headers.allow, 'OPTIONS')
  const put = await app.inject({ method: 'PUT', url: '/reports' })
  t.equal(put.statusCode, 405)
  t.equal(put.headers.allow, 'OPTIONS')
  // A method whose only routes are unbuilt is implemented by no route of this build.
  const post = await app.inject({ method: 'POST', url: '/future' })
  t.equal(post.statusCode, 501)
  t.equal(post.json().code, 'FST_METHOD_NOT_IMPLEMENTED')
  // A method no route has at all stays 501 FST_METHOD_NOT_IMPLEMENTED.
  const lock = await app.inject({ method: 'LOCK', url: '/future' })
  t.equal(lock.statusCode, 501)
  t.equal(lock.json().code, 'FST_METHOD_NOT_IMPLEMENTED')
})

test('declareRoute is chainable, keeps the schema and works under a prefix', async (t) => {
  const app = Fastify()
  await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } })
  await app.register(notImplemented)
  await app.register(async (child) => {
    const returned = child.declareRoute({
      method: ['GET', 'DELETE'],
      url: '/orders/:id',
      schema: { summary: 'Coming soon', params: { type: 'object', properties: { id: { type: 'integer' } } } }
    })
    t.equal(returned, child)
  }, { prefix: '/v2' })
  await app.ready()
  const spec = app.swagger() as { paths: Record<string, Record<string, { summary?: string }>> }
  t.equal(spec.paths['/v2/orders/{id}'].get.summary, 'Coming soon')
  t.equal(spec.paths['/v2/orders/{id}'].delete.summary, 'Coming soon')
  // Validation would refuse "abc"; the declared endpoint answers first.
  for (const method of ['GET', 'DELETE'] as const) {
    const res = await app.inject({ method, url: '/v2/orders/abc' })
    t.equal(res.statusCode, 501)
    t.same(res.json(), declaredBody(method, '/v2/orders/:id'))
  }
})

test('a declared endpoint is not gated: no tier asked, even with a tier in its config', async (t) => {
  const { app, resolver } = await build()
  app.declareRoute({ method: 'GET', url: '/plus-future', config: { tier: 'plus' } })
  app.get('/plus-unbuilt', { config: { tier: 'plus', implemented: false } }, async () => 'never')
  for (const url of ['/plus-future', '/plus-unbuilt']) {
    const res = await app.inject({ url, headers: { 'x-tier': 'enterprise' } })
    t.equal(res.statusCode, 501)
    t.equal(res.json().code, 'FST_ENDPOINT_NOT_IMPLEMENTED')
    t.equal(res.headers['cache-control'], 'max-age=60')
  }
  t.equal(resolver.calls, 0)
})

test('declareRoute overrides implemented: true in the config it is given', async (t) => {
  const { app } = await build()
  app.declareRoute({ method: 'PUT', url: '/future', config: { implemented: true } })
  const res = await app.inject({ method: 'PUT', url: '/future' })
  t.equal(res.statusCode, 501)
  t.equal(res.json().code, 'FST_ENDPOINT_NOT_IMPLEMENTED')
})

test('implemented: true is an ordinary route', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/built', { config: { implemented: true } }, async () => 'built')
  const res = await app.inject({ url: '/built' })
  t.equal(res.statusCode, 200)
  t.equal(res.body, 'built')
  t.equal(res.headers['cache-control'], undefined)
})

test('cacheControl sets the policy of FST_ENDPOINT_NOT_IMPLEMENTED', async (t) => {
  for (const [policy, want] of [['public, max-age=3600', 'public, max-age=3600'], [false, undefined]] as const) {
    const app = Fastify()
    await app.register(notImplemented, { cacheControl: { FST_ENDPOINT_NOT_IMPLEMENTED: policy } })
    app.declareRoute({ method: 'GET', url: '/future' })
    const res = await app.inject({ url: '/future' })
    t.equal(res.statusCode, 501)
    t.equal(res.headers['cache-control'], want)
  }
})

test('an app error handler formats the 501; Cache-Control survives', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.setErrorHandler((error: Error & { code?: string }, request, reply) => {
    reply.send({ type: error.code, detail: error.message, route: request.routeOptions.url })
  })
  app.declareRoute({ method: 'GET', url: '/future' })
  const res = await app.inject({ url: '/future' })
  t.equal(res.statusCode, 501)
  t.equal(res.headers['cache-control'], 'max-age=60')
  t.same(res.json(), { type: 'FST_ENDPOINT_NOT_IMPLEMENTED', detail: 'Endpoint GET /future is declared but not implemented', route: '/future' })
})

test('each 501 is logged once at the configured level', async (t) => {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
  await app.register(notImplemented, { logLevel: 'warn' })
  app.declareRoute({ method: 'GET', url: '/future' })
  await app.inject({ url: '/future' })
  const lines = logs.lines.filter((line) => line.notImplemented !== undefined)
  t.equal(lines.length, 1)
  t.equal(lines[0].level, 40)
  t.match(lines[0], { msg: 'Endpoint GET /future is declared but not implemented', notImplemented: { code: 'FST_ENDPOINT_NOT_IMPLEMENTED', route: '/future' } })
})
