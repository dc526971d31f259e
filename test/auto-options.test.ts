import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import cors from '@fastify/cors'
import sensible from '@fastify/sensible'
import { request } from 'undici'
import notImplemented = require('..')
import { fastifyNotFound, notAllowedBody, notImplementedBody } from './helpers/bodies'
import { head, listen, rawExchange } from './helpers/http'

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

function routes (app: FastifyInstance): void {
  app.get('/users', async () => [])
  app.post('/users', async () => ({ created: true }))
  app.delete('/sessions', async () => ({}))
  app.options('/custom', async () => 'the app\'s own OPTIONS')
  app.get('/custom', async () => 'custom')
}

async function build (options: Options = {}): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(notImplemented, options)
  routes(app)
  return app
}

test('OPTIONS on a path with routes but no OPTIONS route: 204 with Allow', async (t) => {
  const app = await build()
  const res = await app.inject({ method: 'OPTIONS', url: '/users?x=1' })
  t.equal(res.statusCode, 204)
  t.equal(res.headers.allow, 'GET, HEAD, POST, OPTIONS')
  t.equal(res.headers['cache-control'], 'max-age=60')
  t.equal(res.body, '')
  t.equal(res.headers['content-type'], undefined)
  t.equal(res.headers['last-modified'], undefined)

  const { origin, port } = await listen(t, app)
  const real = await request(origin + '/sessions', { method: 'OPTIONS' })
  t.equal(real.statusCode, 204)
  t.equal(real.headers.allow, 'DELETE, OPTIONS')
  t.equal(real.headers['cache-control'], 'max-age=60')
  t.equal(await real.body.text(), '')

  const raw = await rawExchange(port, head('OPTIONS', '/users'))
  t.equal(raw.responses[0].status, 204)
  t.same(raw.responses[0].headerLines.filter((line) => /^allow:/i.test(line)), ['allow: GET, HEAD, POST, OPTIONS'])
})

test('an app\'s own OPTIONS route answers where it exists', async (t) => {
  const app = await build()
  const own = await app.inject({ method: 'OPTIONS', url: '/custom' })
  t.equal(own.statusCode, 200)
  t.equal(own.body, 'the app\'s own OPTIONS')
  const notAllowed = await app.inject({ method: 'POST', url: '/custom' })
  t.same(notAllowed.json(), notAllowedBody('POST', '/custom', ['GET', 'HEAD', 'OPTIONS']))
})

test('OPTIONS on a path with no route keeps the 404', async (t) => {
  const app = await build()
  const res = await app.inject({ method: 'OPTIONS', url: '/nothing' })
  t.equal(res.statusCode, 404)
  t.same(res.json(), fastifyNotFound('OPTIONS', '/nothing'))
  t.equal(res.headers.allow, undefined)
})

test('OPTIONS * asks about the server: 204 with every method the server answers', async (t) => {
  const app = await build()
  const { port } = await listen(t, app)
  const raw = await rawExchange(port, 'OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n')
  const [response] = raw.responses
  t.equal(response.status, 204)
  t.same(response.headers.allow, ['GET, HEAD, POST, DELETE, OPTIONS'])
  t.same(response.headers['cache-control'], ['max-age=60'])
  t.equal(raw.closed, false)
})

test('autoOptions: false makes OPTIONS an ordinary method', async (t) => {
  const none = Fastify()
  await none.register(notImplemented, { autoOptions: false })
  none.get('/users', async () => [])
  const { port } = await listen(t, none)
  const res = await none.inject({ method: 'OPTIONS', url: '/users' })
  t.equal(res.statusCode, 501, 'no OPTIONS route anywhere')
  t.same(res.json(), notImplementedBody('OPTIONS'))
  t.equal(res.headers.allow, undefined)
  const notAllowed = await none.inject({ method: 'DELETE', url: '/users' })
  t.equal(notAllowed.statusCode, 501)
  const raw = await rawExchange(port, 'OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n')
  t.equal(raw.responses[0].status, 501)
  t.same(JSON.parse(raw.responses[0].body), notImplementedBody('OPTIONS'))

  const some = await build({ autoOptions: false })
  const elsewhere = await some.inject({ method: 'OPTIONS', url: '/users' })
  t.equal(elsewhere.statusCode, 405, 'an OPTIONS route elsewhere: 405 like any method')
  t.same(elsewhere.json(), notAllowedBody('OPTIONS', '/users', ['GET', 'HEAD', 'POST']))
  t.equal(elsewhere.headers.allow, 'GET, HEAD, POST')
  const own = await some.inject({ method: 'OPTIONS', url: '/custom' })
  t.equal(own.statusCode, 200)
})

// @fastify/cors adds an `OPTIONS *` route that matches every path, and an onRequest hook.
// Registered after the plugin (registered first, it refuses to start: test/interop-cors.test.ts).
test('with @fastify/cors: 404s stay 404s, Allow still lists, preflights are cors\'s', async (t) => {
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true } })
  await app.register(notImplemented)
  await app.register(cors)
  routes(app)
  const { origin, port } = await listen(t, app)

  for (const url of ['/nothing', '/nothing?x=1', '//nothing//', '/users/1']) {
    const res = await request(origin + url, { method: 'DELETE' })
    t.equal(res.statusCode, 404, `DELETE ${url}`)
    t.equal(res.headers.allow, undefined)
    t.equal(res.headers['access-control-allow-origin'], '*', 'cors still runs on the not-found path')
    await res.body.dump()
  }
  const raw = await rawExchange(port, [
    head('DELETE', 'http://localhost/nothing'),
    head('DELETE', 'http://localhost'),
    head('DELETE', '*'),
    head('PATCH', '/nothing')
  ], { responses: 4 })
  t.same(raw.responses.map((r) => r.status), [404, 404, 404, 501], 'absolute and asterisk forms are no routes either')

  const notAllowed = await request(origin + '/users', { method: 'DELETE' })
  t.equal(notAllowed.statusCode, 405)
  t.same(await notAllowed.body.json(), notAllowedBody('DELETE', '/users', ['GET', 'HEAD', 'POST', 'OPTIONS']))
  t.equal(notAllowed.headers.allow, 'GET, HEAD, POST, OPTIONS')
  t.equal(notAllowed.headers['access-control-allow-origin'], '*')
  t.equal(notAllowed.headers['cache-control'], 'max-age=60')

  const preflight = await request(origin + '/users', {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' }
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-methods'], 'GET,HEAD,POST')
  t.equal(preflight.headers.allow, undefined, 'cors answers its preflight, the plugin does not touch it')
  await preflight.body.dump()
})

test('with @fastify/sensible beside it: no decorator clash, behaviour unchanged', async (t) => {
  const app = Fastify()
  await app.register(sensible)
  await app.register(notImplemented)
  routes(app)
  app.get('/later', async (_request, reply) => reply.notImplemented('not yet'))
  await app.ready()
  t.equal(typeof app.httpErrors.methodNotAllowed, 'function')

  const sensibleOwn = await app.inject({ method: 'GET', url: '/later' })
  t.equal(sensibleOwn.statusCode, 501)
  t.equal(sensibleOwn.json().message, 'not yet')
  const res = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(res.statusCode, 405)
  t.same(res.json(), notAllowedBody('DELETE', '/users', ['GET', 'HEAD', 'POST', 'OPTIONS']))
  t.equal((await app.inject({ method: 'OPTIONS', url: '/users' })).statusCode, 204)
  t.same((await app.inject({ method: 'PATCH', url: '/users' })).json(), notImplementedBody('PATCH'))
  t.equal((await app.inject({ method: 'DELETE', url: '/nothing' })).statusCode, 404)
})
