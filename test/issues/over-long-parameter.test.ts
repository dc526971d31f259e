import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('../..')

// Found by the route-table fuzzer: a path segment longer than the router's maxParamLength
// (100) for one method's parametric route made the plugin give up on the whole path, so a
// method routed nowhere there got Fastify's 404 even where another method's route answers
// the very same URL. The over-long parameter is that one route's problem (Fastify answers
// it 414); the URL itself is readable, and the other methods still tell a 405 from a 404.
// The method whose route refuses the segment is not listed: it would get a 414, not an
// answer. Where only such a route matches, Fastify's own 404 stands (test/malformed-url).

const long = 'x'.repeat(101)

async function build () {
  const app = Fastify()
  await app.register(notImplemented, { logLevel: 'silent' })
  app.get('/files/:name', async () => 'file')
  app.delete('/files/*', async () => 'deleted')
  app.put('/elsewhere', async () => 'put')
  return app
}

test('a 405 where one route refuses the over-long segment and another answers', async (t) => {
  const app = await build()
  t.teardown(() => app.close())

  const got = await app.inject({ method: 'GET', url: `/files/${long}` })
  t.equal(got.statusCode, 414, 'GET: the parametric route refuses the segment (Fastify)')
  const deleted = await app.inject({ method: 'DELETE', url: `/files/${long}` })
  t.equal(deleted.statusCode, 200, 'DELETE: the wildcard route answers')

  const put = await app.inject({ method: 'PUT', url: `/files/${long}` })
  t.equal(put.statusCode, 405, 'PUT is not allowed here, rather than "nothing here"')
  t.equal(put.json().code, 'FST_METHOD_NOT_ALLOWED')
  t.equal(put.headers.allow, 'DELETE, OPTIONS', 'every method that answers this URL')
  t.same(put.json().allow, ['DELETE', 'OPTIONS'])

  const options = await app.inject({ method: 'OPTIONS', url: `/files/${long}` })
  t.equal(options.statusCode, 204)
  t.equal(options.headers.allow, 'DELETE, OPTIONS')
})

test('a malformed URL still keeps Fastify\'s 400', async (t) => {
  const app = await build()
  t.teardown(() => app.close())
  for (const method of ['GET', 'PUT', 'DELETE', 'OPTIONS'] as const) {
    const response = await app.inject({ method, url: '/files/%E0%A4%A' })
    t.equal(response.statusCode, 400, method)
    t.equal(response.json().code, 'FST_ERR_BAD_URL')
  }
})

test('a segment at the limit is an ordinary path', async (t) => {
  const app = await build()
  t.teardown(() => app.close())
  const put = await app.inject({ method: 'PUT', url: `/files/${'x'.repeat(100)}` })
  t.equal(put.statusCode, 405)
  t.equal(put.headers.allow, 'GET, HEAD, DELETE, OPTIONS')
})
