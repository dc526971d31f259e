import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { request } from 'undici'
import notImplemented = require('..')
import { fastifyNotFound, notAllowedBody, notImplementedBody } from './helpers/bodies'
import { head, listen, rawExchange } from './helpers/http'

// GET, HEAD, POST at the root context; PUT and DELETE only inside prefixed, nested contexts.
async function build (): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/users', async () => [])
  app.post('/users', async () => ({ created: true }))
  app.register(async (v1) => {
    v1.put('/items/:id', async () => ({ put: true }))
    v1.register(async (inner) => {
      inner.delete('/items/:id', async () => ({ deleted: true }))
    })
  }, { prefix: '/v1' })
  return app
}

test('a method no route implements gets 501 FST_METHOD_NOT_IMPLEMENTED on every path', async (t) => {
  const app = await build()
  for (const method of ['PROPFIND', 'PATCH', 'TRACE', 'QUERY']) {
    for (const url of ['/users', '/v1/items/1', '/nothing/here', '/']) {
      const res = await app.inject({ method: method as 'GET', url })
      const what = `${method} ${url}`
      t.equal(res.statusCode, 501, what)
      t.same(res.json(), notImplementedBody(method), what)
      t.equal(res.headers['cache-control'], 'max-age=60', what)
      t.match(res.headers['content-type'], /^application\/json/, what)
      t.equal(res.headers.allow, undefined, what)
      t.equal(res.headers.vary, undefined, what)
      t.equal(res.headers['last-modified'], undefined, what)
    }
  }
})

test('501 over a real socket, with a client library and with raw bytes', async (t) => {
  const app = await build()
  const { origin, port } = await listen(t, app)
  for (const method of ['PROPFIND', 'PATCH', 'TRACE', 'QUERY']) {
    for (const path of ['/users', '/nothing']) {
      const res = await request(origin + path, { method })
      t.equal(res.statusCode, 501, `${method} ${path}`)
      t.same(await res.body.json(), notImplementedBody(method))
      t.equal(res.headers['cache-control'], 'max-age=60')
      t.equal(res.headers.allow, undefined)
      t.equal(res.headers.connection, 'keep-alive', 'a bodiless 501 keeps the connection')
    }
  }
  const raw = await rawExchange(port, head('PROPFIND', '/users?depth=1'))
  t.equal(raw.responses[0].status, 501)
  t.same(JSON.parse(raw.responses[0].body), notImplementedBody('PROPFIND'))
  t.same(raw.responses[0].headers['cache-control'], ['max-age=60'])
})

test('methods routed only in encapsulated, prefixed contexts count as implemented', async (t) => {
  const app = await build()
  const put = await app.inject({ method: 'PUT', url: '/users' })
  t.equal(put.statusCode, 405)
  t.same(put.json(), notAllowedBody('PUT', '/users', ['GET', 'HEAD', 'POST', 'OPTIONS']))
  const del = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(del.statusCode, 405, 'a route two contexts deep counts')
  t.equal(del.headers.allow, 'GET, HEAD, POST, OPTIONS')
  t.same((await app.inject({ method: 'PUT', url: '/v1/items/7' })).json(), { put: true })
  t.same((await app.inject({ method: 'DELETE', url: '/v1/items/7' })).json(), { deleted: true })
  const post = await app.inject({ method: 'POST', url: '/v1/items/7' })
  t.equal(post.statusCode, 405)
  t.equal(post.headers.allow, 'PUT, DELETE, OPTIONS')
  const nothing = await app.inject({ method: 'PUT', url: '/nothing' })
  t.equal(nothing.statusCode, 404)
  t.same(nothing.json(), fastifyNotFound('PUT', '/nothing'))
})

test('an all() route implements every method Fastify routes, and only those', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/users', async () => [])
  app.all('/anything', async (req) => ({ method: req.method }))
  for (const method of ['PATCH', 'TRACE', 'QUERY', 'DELETE', 'PUT', 'POST']) {
    const res = await app.inject({ method: method as 'GET', url: '/users' })
    t.equal(res.statusCode, 405, method)
    t.same(res.json(), notAllowedBody(method, '/users', ['GET', 'HEAD', 'OPTIONS']))
    const payload = method === 'TRACE' ? undefined : {}
    t.same((await app.inject({ method: method as 'GET', url: '/anything', payload })).json(), { method })
  }
  const propfind = await app.inject({ method: 'PROPFIND' as 'GET', url: '/anything' })
  t.equal(propfind.statusCode, 501, 'all() does not cover a method Fastify was not told about')
  t.same(propfind.json(), notImplementedBody('PROPFIND'))
})

test('a method added with addHttpMethod and routed is implemented; added but unrouted is not', async (t) => {
  const app = Fastify()
  app.addHttpMethod('PROPFIND', { hasBody: true })
  app.addHttpMethod('MKCOL')
  await app.register(notImplemented)
  app.get('/users', async () => [])
  app.route({ method: 'PROPFIND', url: '/dav/:name', handler: async (req) => ({ name: (req.params as { name: string }).name, body: req.body }) })
  const { origin } = await listen(t, app)

  const routed = await request(origin + '/dav/notes', { method: 'PROPFIND', headers: { 'content-type': 'application/json' }, body: '{"depth":1}' })
  t.equal(routed.statusCode, 200)
  t.same(await routed.body.json(), { name: 'notes', body: { depth: 1 } })

  const elsewhere = await request(origin + '/users', { method: 'PROPFIND' })
  t.equal(elsewhere.statusCode, 405)
  t.same(await elsewhere.body.json(), notAllowedBody('PROPFIND', '/users', ['GET', 'HEAD', 'OPTIONS']))
  t.equal(elsewhere.headers.allow, 'GET, HEAD, OPTIONS')

  const onDav = await app.inject({ method: 'GET', url: '/dav/notes' })
  t.equal(onDav.statusCode, 405)
  t.equal(onDav.headers.allow, 'OPTIONS, PROPFIND', 'methods outside the usual ones come last, by name')

  const nowhere = await request(origin + '/nothing', { method: 'PROPFIND' })
  t.equal(nowhere.statusCode, 404)
  t.same(await nowhere.body.json(), fastifyNotFound('PROPFIND', '/nothing'))

  const mkcol = await request(origin + '/dav/notes', { method: 'MKCOL' })
  t.equal(mkcol.statusCode, 501, 'known to Fastify but routed nowhere')
  t.same(await mkcol.body.json(), notImplementedBody('MKCOL'))
})

test('each answer is logged once, at the configured level', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const logger = { level: 'trace', stream: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } }
  const app = Fastify({ logger })
  await app.register(notImplemented)
  app.get('/users', async () => [])
  await app.inject({ method: 'PATCH', url: '/users?x=1' })
  const decisions = lines.filter((line) => line.notImplemented !== undefined)
  t.equal(decisions.length, 1)
  t.match(decisions[0], {
    level: 30,
    msg: 'Method PATCH is not implemented by this server',
    notImplemented: { code: 'FST_METHOD_NOT_IMPLEMENTED', statusCode: 501, method: 'PATCH', url: '/users?x=1' }
  })

  lines.length = 0
  const quiet = Fastify({ logger })
  await quiet.register(notImplemented, { logLevel: 'silent' })
  quiet.get('/users', async () => [])
  t.equal((await quiet.inject({ method: 'PATCH', url: '/users' })).statusCode, 501)
  t.same(lines.filter((line) => line.notImplemented !== undefined), [], 'silent: no line')
})
