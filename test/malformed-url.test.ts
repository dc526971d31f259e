import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import notImplemented = require('..')
import { fastifyNotFound, notAllowedBody } from './helpers/bodies'
import { head, listen, rawExchange } from './helpers/http'

async function build (): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/users', async () => [])
  app.get('/users/:id', async (request) => request.params)
  app.post('/orders', async () => ({}))
  return app
}

function badUrl (url: string): Record<string, unknown> {
  return { error: 'Bad Request', code: 'FST_ERR_BAD_URL', message: `'${url}' is not a valid url component`, statusCode: 400 }
}

test('a malformed URL keeps Fastify\'s 400, whatever the method', async (t) => {
  const app = await build()
  const { port } = await listen(t, app)
  for (const url of ['/users/%zz', '/%c0', '/users/%']) {
    for (const method of ['GET', 'POST', 'DELETE', 'OPTIONS', 'PROPFIND']) {
      const res = await app.inject({ method: method as 'GET', url })
      t.equal(res.statusCode, 400, `${method} ${url}`)
      t.same(res.json(), badUrl(url))
      t.equal(res.headers.allow, undefined, 'never a made-up Allow')
      t.equal(res.headers['cache-control'], undefined)
    }
  }
  const raw = await rawExchange(port, [head('POST', '/users/%zz'), head('OPTIONS', '/%c0')], { responses: 2 })
  t.same(raw.responses.map((r) => r.status), [400, 400])
  t.same(raw.responses.map((r) => r.headers.allow), [undefined, undefined])
})

test('an over-long parameter keeps Fastify\'s answer: 414 where the method routes, 404 elsewhere', async (t) => {
  const app = await build()
  const { port } = await listen(t, app)
  const url = '/users/' + 'a'.repeat(101)
  const get = await app.inject({ method: 'GET', url })
  t.equal(get.statusCode, 414)
  t.equal(get.json().code, 'FST_ERR_MAX_PARAM_LENGTH')
  for (const method of ['POST', 'OPTIONS']) {
    const res = await app.inject({ method: method as 'GET', url })
    t.equal(res.statusCode, 404, `${method}: the router cannot say what answers there, so no 405 or 204`)
    t.same(res.json(), fastifyNotFound(method, url))
    t.equal(res.headers.allow, undefined)
  }
  const fits = await app.inject({ method: 'POST', url: '/users/' + 'a'.repeat(100) })
  t.equal(fits.statusCode, 405, 'a parameter of the maximum length is routed')
  const raw = await rawExchange(port, [head('GET', url), head('OPTIONS', url)], { responses: 2 })
  t.same(raw.responses.map((r) => r.status), [414, 404])
  t.same(raw.responses.map((r) => r.headers.allow), [undefined, undefined])
})

test('an absolute-form target is answered as Fastify routes it', async (t) => {
  const app = await build()
  const { port } = await listen(t, app)
  const raw = await rawExchange(port, [
    head('GET', 'http://localhost/users'),
    head('POST', 'http://localhost/users?x=1'),
    head('POST', 'http://localhost/nothing'),
    head('OPTIONS', 'http://localhost/users/7'),
    head('POST', 'http://localhost/users/%zz')
  ], { responses: 5 })
  const [get, notAllowed, unrouted, options, malformed] = raw.responses
  t.equal(get.status, 200, 'Fastify routes the path of an absolute-form target')
  t.equal(notAllowed.status, 405, 'so the same path answers 405 for another method, with what really answers there')
  t.same(notAllowed.headers.allow, ['GET, HEAD, OPTIONS'])
  t.same(JSON.parse(notAllowed.body), notAllowedBody('POST', 'http://localhost/users', ['GET', 'HEAD', 'OPTIONS']))
  t.equal(unrouted.status, 404)
  t.equal(unrouted.headers.allow, undefined)
  t.equal(options.status, 204)
  t.same(options.headers.allow, ['GET, HEAD, OPTIONS'])
  t.equal(malformed.status, 400)
  t.equal(malformed.headers.allow, undefined)
})
