import { test } from 'tap'
import Fastify from 'fastify'
import { request } from 'undici'
import notImplemented = require('..')
import { fastifyNotFound, notAllowedBody, notImplementedBody, versionNotImplementedBody } from './helpers/bodies'
import { head, listen, rawExchange } from './helpers/http'

test('a path with no route for any method keeps Fastify\'s own 404', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/users', async () => [])
  app.delete('/sessions', async () => ({}))
  const { origin } = await listen(t, app)
  for (const method of ['GET', 'HEAD', 'DELETE', 'OPTIONS']) {
    const res = await app.inject({ method: method as 'GET', url: '/nothing' })
    t.equal(res.statusCode, 404, method)
    if (method !== 'HEAD') t.same(res.json(), fastifyNotFound(method, '/nothing'))
    t.equal(res.headers.allow, undefined)
    t.equal(res.headers['cache-control'], undefined, 'the plugin adds nothing to an answer it does not make')
  }
  const res = await request(origin + '/nothing/deeper?x=1', { method: 'DELETE' })
  t.equal(res.statusCode, 404)
  t.same(await res.body.json(), fastifyNotFound('DELETE', '/nothing/deeper?x=1'))
  t.equal(res.headers.allow, undefined)
})

test('the plugin never sets a not-found handler: the app can set its own at the root, after it', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.setNotFoundHandler(async (request, reply) => reply.code(404).send({ missing: request.url }))
  app.get('/users', async () => [])
  app.delete('/sessions', async () => ({}))
  t.same((await app.inject({ method: 'GET', url: '/nothing' })).json(), { missing: '/nothing' })
  t.same((await app.inject({ method: 'DELETE', url: '/nothing' })).json(), { missing: '/nothing' })
  const notAllowed = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(notAllowed.statusCode, 405)
  t.same(notAllowed.json(), notAllowedBody('DELETE', '/users', ['GET', 'HEAD', 'OPTIONS']))
  t.equal((await app.inject({ method: 'PROPFIND' as 'GET', url: '/nothing' })).statusCode, 501)
})

test('encapsulated per-prefix not-found handlers keep working', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/users', async () => [])
  app.register(async (api) => {
    api.setNotFoundHandler(async (request, reply) => reply.code(404).send({ api: 'no such endpoint', url: request.url }))
    api.get('/things', async () => [])
    api.register(async (admin) => {
      admin.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ admin: 'no such page' }))
      admin.post('/jobs', async () => ({}))
    }, { prefix: '/admin' })
  }, { prefix: '/api' })
  const { origin, port } = await listen(t, app)

  const apiMissing = await request(origin + '/api/nothing', { method: 'POST' })
  t.equal(apiMissing.statusCode, 404)
  t.same(await apiMissing.body.json(), { api: 'no such endpoint', url: '/api/nothing' })
  const adminMissing = await request(origin + '/api/admin/nothing')
  t.same(await adminMissing.body.json(), { admin: 'no such page' })
  const rootMissing = await request(origin + '/nothing')
  t.same(await rootMissing.body.json(), fastifyNotFound('GET', '/nothing'))

  const apiNotAllowed = await request(origin + '/api/things', { method: 'POST' })
  t.equal(apiNotAllowed.statusCode, 405, 'inside the prefix the plugin still answers')
  t.same(await apiNotAllowed.body.json(), notAllowedBody('POST', '/api/things', ['GET', 'HEAD', 'OPTIONS']))
  const adminNotAllowed = await request(origin + '/api/admin/jobs')
  t.equal(adminNotAllowed.statusCode, 405)
  t.equal(adminNotAllowed.headers.allow, 'POST, OPTIONS')
  await adminNotAllowed.body.dump()

  const raw = await rawExchange(port, [head('PROPFIND', '/api/nothing'), head('PROPFIND', '/api/admin/nothing')], { responses: 2 })
  t.same(raw.responses.map((r) => JSON.parse(r.body)), [notImplementedBody('PROPFIND'), notImplementedBody('PROPFIND')])
})

test('reply.callNotFound() in a route stays the app\'s 404', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/users/:id', async (request, reply) => {
    if ((request.params as { id: string }).id === '0') return reply.callNotFound()
    return { id: 1 }
  })
  const res = await app.inject({ method: 'GET', url: '/users/0' })
  t.equal(res.statusCode, 404)
  t.same(res.json(), fastifyNotFound('GET', '/users/0'))
  t.equal(res.headers.allow, undefined)
})

test('a version no route at this path has gets 501 FST_VERSION_NOT_IMPLEMENTED', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/report', { constraints: { version: '1.0.0' } }, async () => ({ v: 1 }))
  app.get('/report', { constraints: { version: '2.0.0' } }, async () => ({ v: 2 }))
  app.put('/other', { constraints: { version: '3.0.0' } }, async () => ({ v: 3 }))
  app.post('/orders', async () => ({}))
  const { origin, port } = await listen(t, app)

  for (const [method, version] of [['GET', '3.x'], ['GET', '1.1.x'], ['HEAD', '3.x'], ['OPTIONS', '3.x']]) {
    const res = await request(origin + '/report?x=1', { method, headers: { 'accept-version': version } })
    t.equal(res.statusCode, 501, `${method} ${version}`)
    if (method === 'HEAD') await res.body.dump()
    else t.same(await res.body.json(), versionNotImplementedBody(method, '/report', version))
    t.equal(res.headers.vary, 'Accept-Version')
    t.equal(res.headers['cache-control'], 'max-age=60')
    t.equal(res.headers.allow, undefined)
  }
  const versions = await Promise.all(['1.x', '2.x'].map(async (version) => {
    const res = await request(origin + '/report', { headers: { 'accept-version': version } })
    return await res.body.json()
  }))
  t.same(versions, [{ v: 1 }, { v: 2 }], 'the versions the path has are routed')

  // POST answers at /report in no version: the version is not what is missing. In a
  // version the path has, that is a 405; in one it does not have, nothing answers: 404.
  const post1 = await app.inject({ method: 'POST', url: '/report', headers: { 'accept-version': '1.x' } })
  t.equal(post1.statusCode, 405)
  t.equal(post1.headers.allow, 'GET, HEAD, OPTIONS')
  t.equal(post1.headers.vary, 'Accept-Version')
  const post3 = await app.inject({ method: 'POST', url: '/report', headers: { 'accept-version': '3.x' } })
  t.equal(post3.statusCode, 404)

  const unversioned = await app.inject({ method: 'GET', url: '/report' })
  t.equal(unversioned.statusCode, 404, 'no version asked: Fastify\'s own answer')
  const nowhere = await app.inject({ method: 'GET', url: '/nothing', headers: { 'accept-version': '3.x' } })
  t.equal(nowhere.statusCode, 404, 'a path with no versions at all keeps its 404')

  const raw = await rawExchange(port, head('GET', '/report', { 'Accept-Version': '9.x' }))
  t.equal(raw.responses[0].status, 501)
  t.same(raw.responses[0].headers.vary, ['Accept-Version'])
  t.same(JSON.parse(raw.responses[0].body), versionNotImplementedBody('GET', '/report', '9.x'))
})
