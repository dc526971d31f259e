import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('../..')

// 0.1.0, with only GET /search at version 1.0.0 and POST elsewhere: `POST /search` with
// Accept-Version 2.0.0 said "Version 2.0.0 of POST /search is not implemented", the same
// with 1.0.0 gave 405, and capabilities() listed OPTIONS /search unversioned though it
// answers 404 without a version. The rule now: a version is "not implemented" only for a
// method the path has in another version; otherwise the answer is the one for the version
// asked for (405 where other methods answer in it, 404 where none do).

async function build () {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/search', { constraints: { version: '1.0.0' } }, async () => 'v1')
  app.post('/elsewhere', async () => ({}))
  await app.ready()
  return app
}

test('POST on a path it has in no version: 405 in a version the path has, 404 in one it does not', async (t) => {
  const app = await build()
  const v1 = await app.inject({ method: 'POST', url: '/search', headers: { 'accept-version': '1.0.0' } })
  t.equal(v1.statusCode, 405)
  t.equal(v1.headers.allow, 'GET, HEAD, OPTIONS')
  t.equal(v1.headers.vary, 'Accept-Version')
  const v2 = await app.inject({ method: 'POST', url: '/search', headers: { 'accept-version': '2.0.0' } })
  t.equal(v2.statusCode, 404)
  t.equal(v2.json().message, 'Route POST:/search not found')
})

test('GET, which the path has in 1.0.0, in 2.0.0: the version is what is missing', async (t) => {
  const app = await build()
  const res = await app.inject({ method: 'GET', url: '/search', headers: { 'accept-version': '2.0.0' } })
  t.equal(res.statusCode, 501)
  t.same(res.json(), { statusCode: 501, code: 'FST_VERSION_NOT_IMPLEMENTED', error: 'Not Implemented', message: 'Version 2.0.0 of GET /search is not implemented', version: '2.0.0' })
  t.equal(res.headers.vary, 'Accept-Version')
})

test('OPTIONS answers where the path answers, and the matrix says so', async (t) => {
  const app = await build()
  const without = await app.inject({ method: 'OPTIONS', url: '/search' })
  t.equal(without.statusCode, 404, 'without a version the path has no route')
  const v1 = await app.inject({ method: 'OPTIONS', url: '/search', headers: { 'accept-version': '1.0.0' } })
  t.equal(v1.statusCode, 204)
  t.equal(v1.headers.allow, 'GET, HEAD, OPTIONS')
  const v2 = await app.inject({ method: 'OPTIONS', url: '/search', headers: { 'accept-version': '2.0.0' } })
  t.equal(v2.statusCode, 501)
  t.equal(v2.json().code, 'FST_VERSION_NOT_IMPLEMENTED')
  const search = app.capabilities().routes.find((route) => route.path === '/search')
  t.same(search?.methods, [
    { method: 'GET', implemented: true, versions: ['1.0.0'] },
    { method: 'HEAD', implemented: true, versions: ['1.0.0'] },
    { method: 'OPTIONS', implemented: true, versions: ['1.0.0'] }
  ])
  const elsewhere = app.capabilities().routes.find((route) => route.path === '/elsewhere')
  t.same(elsewhere?.methods, [{ method: 'POST', implemented: true }, { method: 'OPTIONS', implemented: true }])
})
