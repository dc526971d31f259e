import { test } from 'tap'
import { constants } from 'node:http2'
import Fastify from 'fastify'
import notImplemented = require('..')
import { http2Request, listen } from './helpers/http'

// The same answers over HTTP/2 (cleartext, prior knowledge) as over HTTP/1.1; no
// connection-specific header, which HTTP/2 forbids.

test('HTTP/2: 405 with Allow, 501, 204 OPTIONS, 404', async (t) => {
  const app = Fastify({ http2: true })
  await app.register(notImplemented)
  app.get('/users', async () => [])
  app.post('/users', async () => ({}))
  app.delete('/users/:id', async () => ({}))
  const { origin } = await listen(t, app)
  const { HTTP2_HEADER_METHOD: method, HTTP2_HEADER_PATH: path, HTTP2_HEADER_STATUS: status } = constants

  const notAllowed = await http2Request(origin, { [method]: 'DELETE', [path]: '/users' })
  t.equal(notAllowed.headers[status], 405)
  t.equal(notAllowed.headers.allow, 'GET, HEAD, POST, OPTIONS')
  t.equal(notAllowed.headers['cache-control'], 'max-age=60')
  t.notOk('connection' in notAllowed.headers)
  t.same(JSON.parse(notAllowed.body).allow, ['GET', 'HEAD', 'POST', 'OPTIONS'])

  const unknown = await http2Request(origin, { [method]: 'PROPFIND', [path]: '/users' })
  t.equal(unknown.headers[status], 501)
  t.equal(JSON.parse(unknown.body).code, 'FST_METHOD_NOT_IMPLEMENTED')

  const options = await http2Request(origin, { [method]: 'OPTIONS', [path]: '/users' })
  t.equal(options.headers[status], 204)
  t.equal(options.headers.allow, 'GET, HEAD, POST, OPTIONS')

  const missing = await http2Request(origin, { [method]: 'GET', [path]: '/nothing' })
  t.equal(missing.headers[status], 404)
})
