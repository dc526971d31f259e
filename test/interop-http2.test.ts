import { test } from 'tap'
import { connect, constants } from 'node:http2'
import Fastify from 'fastify'
import notImplemented = require('..')

// The same answers over HTTP/2 (cleartext, prior knowledge) as over HTTP/1.1; no
// connection-specific header, which HTTP/2 forbids.
function h2request (origin: string, headers: Record<string, string>): Promise<{ headers: Record<string, unknown>, body: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(origin)
    session.on('error', reject)
    const stream = session.request(headers)
    let body = ''
    let responseHeaders: Record<string, unknown> = {}
    stream.setEncoding('utf8')
    stream.on('response', (h) => { responseHeaders = h })
    stream.on('data', (chunk) => { body += chunk })
    stream.on('end', () => { session.close(); resolve({ headers: responseHeaders, body }) })
    stream.on('error', reject)
    stream.end()
  })
}

test('HTTP/2: 405 with Allow, 501, 204 OPTIONS, 404', async (t) => {
  const app = Fastify({ http2: true })
  await app.register(notImplemented)
  app.get('/users', async () => [])
  app.post('/users', async () => ({}))
  app.delete('/users/:id', async () => ({}))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const { HTTP2_HEADER_METHOD: method, HTTP2_HEADER_PATH: path, HTTP2_HEADER_STATUS: status } = constants

  const notAllowed = await h2request(origin, { [method]: 'DELETE', [path]: '/users' })
  t.equal(notAllowed.headers[status], 405)
  t.equal(notAllowed.headers.allow, 'GET, HEAD, POST, OPTIONS')
  t.equal(notAllowed.headers['cache-control'], 'max-age=60')
  t.notOk('connection' in notAllowed.headers)
  t.same(JSON.parse(notAllowed.body).allow, ['GET', 'HEAD', 'POST', 'OPTIONS'])

  const unknown = await h2request(origin, { [method]: 'PROPFIND', [path]: '/users' })
  t.equal(unknown.headers[status], 501)
  t.equal(JSON.parse(unknown.body).code, 'FST_METHOD_NOT_IMPLEMENTED')

  const options = await h2request(origin, { [method]: 'OPTIONS', [path]: '/users' })
  t.equal(options.headers[status], 204)
  t.equal(options.headers.allow, 'GET, HEAD, POST, OPTIONS')

  const missing = await h2request(origin, { [method]: 'GET', [path]: '/nothing' })
  t.equal(missing.headers[status], 404)
})
