import { test } from 'tap'
import Fastify from 'fastify'
import { request } from 'undici'
import notImplemented = require('../..')
import { listen } from '../helpers/http'

// Found by the route-table fuzzer: on an app with no versioned route, any Accept-Version
// header (even an empty one) turned every 405 and every automatic OPTIONS answer into a
// 404. Fastify's router derives a version only when some route is versioned, so the
// request itself was routed without one; asked about the other methods with the version
// anyway, the router matched no unversioned route, and the path looked empty.

async function build () {
  const app = Fastify()
  await app.register(notImplemented, { logLevel: 'silent' })
  app.get('/a', async () => 'a')
  app.post('/a/:id', async () => 'created')
  return app
}

for (const version of ['1.0.0', '', 'x', '*']) {
  test(`Accept-Version: ${JSON.stringify(version)} on an app without versioned routes`, async (t) => {
    const app = await build()
    t.teardown(() => app.close())
    const headers = { 'accept-version': version }

    const options = await app.inject({ method: 'OPTIONS', url: '/a', headers })
    t.equal(options.statusCode, 204, 'OPTIONS is answered')
    t.equal(options.headers.allow, 'GET, HEAD, OPTIONS')
    t.equal(options.headers.vary, undefined, 'nothing here varies on Accept-Version')

    const post = await app.inject({ method: 'POST', url: '/a', headers })
    t.equal(post.statusCode, 405)
    t.equal(post.headers.allow, 'GET, HEAD, OPTIONS')
    t.equal(post.json().code, 'FST_METHOD_NOT_ALLOWED')

    const get = await app.inject({ method: 'GET', url: '/a/1', headers })
    t.equal(get.statusCode, 405)
    t.equal(get.headers.allow, 'POST, OPTIONS')

    const routed = await app.inject({ method: 'GET', url: '/a', headers })
    t.equal(routed.statusCode, 200, 'the route itself still answers, as the router sees it')

    const nothing = await app.inject({ method: 'GET', url: '/nothing', headers })
    t.equal(nothing.statusCode, 404)
  })
}

test('over a socket too', async (t) => {
  const app = await build()
  const { origin } = await listen(t, app)
  const response = await request(`${origin}/a`, { method: 'DELETE', headers: { 'accept-version': '2.x' } })
  const body = await response.body.json() as { code: string }
  // DELETE is routed nowhere: 501 whatever the version.
  t.equal(response.statusCode, 501)
  t.equal(body.code, 'FST_METHOD_NOT_IMPLEMENTED')
  const post = await request(`${origin}/a`, { method: 'POST', headers: { 'accept-version': '2.x' } })
  t.equal(post.statusCode, 405)
  t.equal(post.headers.allow, 'GET, HEAD, OPTIONS')
  await post.body.dump()
})
