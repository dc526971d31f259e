import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import notImplemented = require('..')
import { fastifyNotFound, notAllowedBody } from './helpers/bodies'
import { listen, rawExchange } from './helpers/http'

// The not-found hook keeps the Allow answer of paths it was asked about recently: a kept
// answer must be the one the router gives, for every path, Host and version, however many
// paths clients send.

async function build (): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/items/:id', async () => ({}))
  app.put('/items/:id', async () => ({}))
  app.post('/items', async () => ({}))
  app.delete('/sessions', async () => ({}))
  app.get('/status', { constraints: { host: 'api.example.com' } }, async () => ({}))
  app.post('/status', { constraints: { host: 'admin.example.com' } }, async () => ({}))
  return app
}

test('the same 405 asked again gets the same answer, every header and body', async (t) => {
  const app = await build()
  const first = await app.inject({ method: 'DELETE', url: '/items/1?x=1' })
  const again = await app.inject({ method: 'DELETE', url: '/items/1?y=2' })
  for (const res of [first, again]) {
    t.equal(res.statusCode, 405)
    t.equal(res.headers.allow, 'GET, HEAD, PUT, OPTIONS')
    t.equal(res.headers['cache-control'], 'max-age=60')
    t.equal(res.headers.vary, undefined)
    t.match(res.headers['content-type'], /^application\/json/)
    t.same(res.json(), notAllowedBody('DELETE', '/items/1', ['GET', 'HEAD', 'PUT', 'OPTIONS']))
  }
  const options = await app.inject({ method: 'OPTIONS', url: '/items/1' })
  t.equal(options.statusCode, 204)
  t.equal(options.headers.allow, 'GET, HEAD, PUT, OPTIONS')
})

test('a path without routes stays a 404 when asked again', async (t) => {
  const app = await build()
  for (let i = 0; i < 2; i++) {
    const res = await app.inject({ method: 'DELETE', url: '/nothing' })
    t.equal(res.statusCode, 404)
    t.same(res.json(), fastifyNotFound('DELETE', '/nothing'))
  }
})

test('the same path on two hosts: each gets its own Allow, in either order', async (t) => {
  const app = await build()
  for (let i = 0; i < 2; i++) {
    const api = await app.inject({ method: 'DELETE', url: '/status', headers: { host: 'api.example.com' } })
    t.equal(api.statusCode, 405)
    t.equal(api.headers.allow, 'GET, HEAD, OPTIONS')
    const admin = await app.inject({ method: 'DELETE', url: '/status', headers: { host: 'admin.example.com' } })
    t.equal(admin.statusCode, 405)
    t.equal(admin.headers.allow, 'POST, OPTIONS')
    const other = await app.inject({ method: 'DELETE', url: '/status', headers: { host: 'www.example.com' } })
    t.equal(other.statusCode, 404)
  }
})

test('more paths than are kept: every answer is still the router\'s', async (t) => {
  const app = await build()
  for (let i = 0; i < 1100; i++) {
    const res = await app.inject({ method: 'DELETE', url: `/items/${i}` })
    if (res.statusCode !== 405 || res.headers.allow !== 'GET, HEAD, PUT, OPTIONS') t.fail(`/items/${i}: ${res.statusCode} ${res.headers.allow}`)
  }
  const first = await app.inject({ method: 'DELETE', url: '/items/0' })
  t.equal(first.statusCode, 405)
  t.same(first.json(), notAllowedBody('DELETE', '/items/0', ['GET', 'HEAD', 'PUT', 'OPTIONS']))
  const unrouted = await app.inject({ method: 'DELETE', url: '/items/0/more' })
  t.equal(unrouted.statusCode, 404)
})

test('a path too long to keep is answered as any other', async (t) => {
  const app = await build()
  const long = '/' + 'long/'.repeat(120) + 'end'
  app.get(long, async () => ({}))
  for (let i = 0; i < 2; i++) {
    const res = await app.inject({ method: 'POST', url: long })
    t.equal(res.statusCode, 405)
    t.same(res.json(), notAllowedBody('POST', long, ['GET', 'HEAD', 'OPTIONS']))
  }
})

test('with Accept-Version, the answer is not kept and follows the version', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/report', { constraints: { version: '1.0.0' } }, async () => ({}))
  app.post('/report', async () => ({}))
  app.delete('/sessions', async () => ({}))
  const v1 = await app.inject({ method: 'DELETE', url: '/report', headers: { 'accept-version': '1.0.0' } })
  t.equal(v1.statusCode, 405)
  t.equal(v1.headers.allow, 'GET, HEAD, OPTIONS', 'a versioned request matches versioned routes alone')
  t.equal(v1.headers.vary, 'Accept-Version')
  const none = await app.inject({ method: 'DELETE', url: '/report' })
  t.equal(none.statusCode, 405)
  t.equal(none.headers.allow, 'POST, OPTIONS')
  const again = await app.inject({ method: 'DELETE', url: '/report', headers: { 'accept-version': '1.0.0' } })
  t.equal(again.headers.allow, 'GET, HEAD, OPTIONS')
})

test('an HTTP/1.0 request with no Host: the answer kept for it is the router\'s too', async (t) => {
  const app = await build()
  const { port } = await listen(t, app)
  for (let i = 0; i < 2; i++) {
    const raw = await rawExchange(port, 'DELETE /items/7 HTTP/1.0\r\n\r\n', { untilClosed: true })
    const [response] = raw.responses
    t.equal(response.status, 405)
    t.same(response.headers.allow, ['GET, HEAD, PUT, OPTIONS'])
    t.same(JSON.parse(response.body), notAllowedBody('DELETE', '/items/7', ['GET, HEAD, PUT, OPTIONS'].join(', ').split(', ')))
  }
  const status = await rawExchange(port, 'DELETE /status HTTP/1.0\r\n\r\n', { untilClosed: true })
  t.equal(status.responses[0].status, 404, 'no route for a request with no Host there')
})
