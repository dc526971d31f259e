import { test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { request } from 'undici'
import notImplemented = require('..')
import { fastifyNotFound, notAllowedBody } from './helpers/bodies'
import { head, listen, rawExchange } from './helpers/http'

async function build (options: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(options)
  await app.register(notImplemented)
  app.get('/users', async () => [])
  app.post('/users', async () => ({ created: true }))
  app.get('/users/:id', async () => ({ id: 1 }))
  app.put('/users/:id', async () => ({ put: true }))
  app.delete('/sessions', async () => ({ deleted: true }))
  return app
}

test('a method routed elsewhere but not here gets 405 FST_METHOD_NOT_ALLOWED with Allow', async (t) => {
  const app = await build()
  const res = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(res.statusCode, 405)
  t.same(res.json(), notAllowedBody('DELETE', '/users', ['GET', 'HEAD', 'POST', 'OPTIONS']))
  t.equal(res.headers.allow, 'GET, HEAD, POST, OPTIONS')
  t.equal(res.headers['cache-control'], 'max-age=60')
  t.match(res.headers['content-type'], /^application\/json/)
  t.equal(res.headers.vary, undefined, 'no versioned routes, nothing to vary on')
  t.equal(res.headers['last-modified'], undefined)

  const param = await app.inject({ method: 'POST', url: '/users/42' })
  t.equal(param.statusCode, 405)
  t.same(param.json(), notAllowedBody('POST', '/users/42', ['GET', 'HEAD', 'PUT', 'OPTIONS']))
})

test('405 over a real socket: one Allow header line, the same body', async (t) => {
  const app = await build()
  const { origin, port } = await listen(t, app)
  const res = await request(origin + '/users', { method: 'DELETE' })
  t.equal(res.statusCode, 405)
  t.equal(res.headers.allow, 'GET, HEAD, POST, OPTIONS', 'a single value, not a list of repeated headers')
  t.equal(res.headers['cache-control'], 'max-age=60')
  t.same(await res.body.json(), notAllowedBody('DELETE', '/users', ['GET', 'HEAD', 'POST', 'OPTIONS']))

  const raw = await rawExchange(port, head('PUT', '/users'))
  const [response] = raw.responses
  t.equal(response.status, 405)
  t.same(response.headerLines.filter((line) => /^allow:/i.test(line)), ['allow: GET, HEAD, POST, OPTIONS'])
  t.same(response.headers['cache-control'], ['max-age=60'])
  t.same(JSON.parse(response.body), notAllowedBody('PUT', '/users', ['GET', 'HEAD', 'POST', 'OPTIONS']))
})

test('an Allow the app set earlier is replaced, never repeated', async (t) => {
  const app = await build()
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('allow', 'GET')
  })
  const { port } = await listen(t, app)
  const raw = await rawExchange(port, head('DELETE', '/users'))
  t.same(raw.responses[0].headerLines.filter((line) => /^allow:/i.test(line)), ['allow: GET, HEAD, POST, OPTIONS'])
})

test('Allow is in a stable order whatever the registration order', async (t) => {
  const app = Fastify()
  for (const method of ['PROPFIND', 'MKCOL', 'LOCK', 'COPY']) app.addHttpMethod(method, { hasBody: true })
  await app.register(notImplemented)
  const handler = async (): Promise<string> => 'ok'
  // Every method at /resource, registered in a scrambled order.
  for (const method of ['TRACE', 'PROPFIND', 'DELETE', 'QUERY', 'OPTIONS', 'PATCH', 'MKCOL', 'PUT', 'COPY', 'POST', 'GET']) {
    app.route({ method, url: '/resource', handler })
  }
  app.route({ method: 'LOCK', url: '/elsewhere', handler })
  const expected = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'QUERY', 'OPTIONS', 'TRACE', 'COPY', 'MKCOL', 'PROPFIND']
  const res = await app.inject({ method: 'LOCK' as 'GET', url: '/resource' })
  t.equal(res.statusCode, 405)
  t.equal(res.headers.allow, expected.join(', '), 'OPTIONS once, though both a route and the plugin answer it')
  t.same(res.json().allow, expected)
})

test('HEAD is allowed where GET is, and only where Fastify answers it', async (t) => {
  const app = Fastify({ exposeHeadRoutes: false })
  await app.register(notImplemented)
  app.get('/users', async () => [])
  app.post('/orders', async () => ({}))
  const res = await app.inject({ method: 'POST', url: '/users' })
  t.equal(res.headers.allow, 'GET, OPTIONS', 'no HEAD route, no HEAD in Allow')
  const headReq = await app.inject({ method: 'HEAD', url: '/users' })
  t.equal(headReq.statusCode, 501, 'HEAD is routed nowhere')
})

test('OPTIONS is in Allow only where it is answered', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, { autoOptions: false })
  app.get('/users', async () => [])
  app.post('/orders', async () => ({}))
  app.options('/orders', async () => 'options')
  const users = await app.inject({ method: 'POST', url: '/users' })
  t.equal(users.statusCode, 405)
  t.same(users.json(), notAllowedBody('POST', '/users', ['GET', 'HEAD']))
  const orders = await app.inject({ method: 'GET', url: '/orders' })
  t.same(orders.json(), notAllowedBody('GET', '/orders', ['POST', 'OPTIONS']))
})

test('the query string is ignored', async (t) => {
  const app = await build()
  const res = await app.inject({ method: 'DELETE', url: '/users?id=1&x=/sessions' })
  t.equal(res.statusCode, 405)
  t.same(res.json(), notAllowedBody('DELETE', '/users', ['GET', 'HEAD', 'POST', 'OPTIONS']))
  const unrouted = await app.inject({ method: 'DELETE', url: '/nothing?to=/users' })
  t.equal(unrouted.statusCode, 404)
})

test('router options are honoured exactly as for routing', async (t) => {
  const strict = await build()
  for (const url of ['/SESSIONS', '/sessions/', '//sessions']) {
    const res = await strict.inject({ method: 'POST', url })
    t.equal(res.statusCode, 404, `${url} is not /sessions by default`)
    t.same(res.json(), fastifyNotFound('POST', url))
  }

  const lenient = await build({ routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true } })
  for (const url of ['/SESSIONS', '/sessions/', '//sessions', '//Sessions//']) {
    t.equal((await lenient.inject({ method: 'DELETE', url })).statusCode, 200, `DELETE ${url} is routed`)
    const res = await lenient.inject({ method: 'POST', url })
    t.equal(res.statusCode, 405, `POST ${url}`)
    t.same(res.json(), notAllowedBody('POST', url, ['DELETE', 'OPTIONS']))
  }
  const { port } = await listen(t, lenient)
  const raw = await rawExchange(port, head('GET', '//Sessions/'))
  t.equal(raw.responses[0].status, 405)
  t.same(raw.responses[0].headers.allow, ['DELETE, OPTIONS'])
})

test('host constraints are honoured', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/status', { constraints: { host: 'api.example.com' } }, async () => ({ api: true }))
  app.post('/status', { constraints: { host: /^admin\./ } }, async () => ({ admin: true }))
  app.delete('/other', async () => ({}))
  const { port } = await listen(t, app)

  const api = await app.inject({ method: 'DELETE', url: '/status', headers: { host: 'api.example.com' } })
  t.equal(api.statusCode, 405)
  t.same(api.json(), notAllowedBody('DELETE', '/status', ['GET', 'HEAD', 'OPTIONS']))
  const admin = await app.inject({ method: 'GET', url: '/status', headers: { host: 'admin.example.com' } })
  t.equal(admin.statusCode, 405)
  t.equal(admin.headers.allow, 'POST, OPTIONS')
  const other = await app.inject({ method: 'DELETE', url: '/status', headers: { host: 'www.example.com' } })
  t.equal(other.statusCode, 404, 'no route for this host: the path is unrouted here')

  const raw = await rawExchange(port, [head('DELETE', '/status', { host: 'api.example.com' }), head('DELETE', '/status', { host: 'www.example.com' })], { responses: 2 })
  t.equal(raw.responses[0].status, 405)
  t.same(raw.responses[0].headers.allow, ['GET, HEAD, OPTIONS'])
  t.equal(raw.responses[1].status, 404)
  t.equal(raw.responses[1].headers.allow, undefined)
})

test('version constraints are honoured, and the answer varies on Accept-Version', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/report', { constraints: { version: '1.0.0' } }, async () => ({ v: 1 }))
  app.put('/report', { constraints: { version: '2.0.0' } }, async () => ({ v: 2 }))
  app.get('/plain', async () => ({ plain: true }))
  app.post('/orders', async () => ({}))
  const { origin } = await listen(t, app)

  const v1 = await request(origin + '/report', { method: 'POST', headers: { 'accept-version': '1.x' } })
  t.equal(v1.statusCode, 405)
  t.same(await v1.body.json(), notAllowedBody('POST', '/report', ['GET', 'HEAD', 'OPTIONS']))
  t.equal(v1.headers.vary, 'Accept-Version')
  t.equal(v1.headers['cache-control'], 'max-age=60')

  const v2 = await request(origin + '/report', { method: 'GET', headers: { 'accept-version': '2.x' } })
  t.equal(v2.statusCode, 405)
  t.same(await v2.body.json(), notAllowedBody('GET', '/report', ['PUT', 'OPTIONS']))
  t.equal(v2.headers.vary, 'Accept-Version')

  const plain = await request(origin + '/plain', { method: 'POST' })
  t.equal(plain.statusCode, 405)
  t.equal(plain.headers.vary, 'Accept-Version', 'where some routes are versioned, every Allow may depend on it')
  await plain.body.dump()

  const unversioned = await request(origin + '/report', { method: 'POST' })
  t.equal(unversioned.statusCode, 404, 'without Accept-Version no versioned route answers, as for routing')
  await unversioned.body.dump()
})
