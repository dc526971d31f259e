import { test } from 'tap'
import { Readable } from 'node:stream'
import type { Socket } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { request } from 'undici'
import notImplemented = require('..')
import { notAllowedBody, notImplementedBody } from './helpers/bodies'
import { head, http2Request, listen, rawExchange } from './helpers/http'

const fiftyMegabytes = 50 * 1024 * 1024

interface Built {
  app: FastifyInstance
  // Every connection the server accepted, to see how much it read.
  sockets: Socket[]
  // How often a body parser ran.
  parsed: { count: number }
}

async function build (): Promise<Built> {
  const app = Fastify()
  const sockets: Socket[] = []
  const parsed = { count: 0 }
  app.server.on('connection', (socket: Socket) => sockets.push(socket))
  await app.register(notImplemented)
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    parsed.count++
    done(null, body)
  })
  app.get('/users', async () => [])
  app.put('/items/:id', async () => ({ put: true }))
  app.route({ method: 'QUERY', url: '/search', handler: async () => ({ found: [] }) })
  return { app, sockets, parsed }
}

test('a 405 or 501 for a 50 MB upload is answered at once, the body never read, the connection closed', async (t) => {
  const { app, sockets, parsed } = await build()
  const { port } = await listen(t, app)
  const cases = [
    { method: 'PUT', status: 405 },
    { method: 'POST', status: 501 }
  ]
  for (const { method, status } of cases) {
    const exchange = await rawExchange(port, [
      head(method, '/users', { 'Content-Type': 'application/octet-stream', 'Content-Length': fiftyMegabytes }),
      // More than the server would read before it answers, less than the whole body.
      ...Array.from({ length: 64 }, () => 'x'.repeat(64 * 1024))
    ], { untilClosed: true })
    const [response] = exchange.responses
    t.equal(response.status, status, method)
    t.same(response.headers.connection, ['close'], 'the rest of the body is not worth reading')
    t.same(response.headers['cache-control'], ['max-age=60'])
    t.same(JSON.parse(response.body), status === 405
      ? notAllowedBody(method, '/users', ['GET', 'HEAD', 'OPTIONS'])
      : notImplementedBody(method))
    t.ok(exchange.firstResponseMs >= 0 && exchange.firstResponseMs < 2000, `answered before the body (${exchange.firstResponseMs} ms)`)
    t.equal(exchange.closed, true, 'the server closed the connection')
  }
  t.equal(parsed.count, 0, 'no body parser ran')
  for (const socket of sockets) t.ok(socket.bytesRead < 1024 * 1024, `the server read ${socket.bytesRead} of the 4 MB sent`)
})

test('a chunked upload of unknown size to a 405 closes the connection too', async (t) => {
  const { app, parsed } = await build()
  const { port } = await listen(t, app)
  const exchange = await rawExchange(port, [
    head('PUT', '/users', { 'Transfer-Encoding': 'chunked' }),
    '4000\r\n' + 'x'.repeat(0x4000) + '\r\n'
  ], { untilClosed: true })
  t.equal(exchange.responses[0].status, 405)
  t.same(exchange.responses[0].headers.connection, ['close'])
  t.equal(exchange.closed, true)
  t.equal(parsed.count, 0)
})

test('a client library streaming 50 MB gets the 405 long before it has sent the body', async (t) => {
  const { app } = await build()
  const { origin } = await listen(t, app)
  let sent = 0
  const body = new Readable({
    read () {
      if (sent >= fiftyMegabytes) {
        this.push(null)
        return
      }
      sent += 64 * 1024
      this.push(Buffer.alloc(64 * 1024))
    }
  })
  const res = await request(origin + '/users', { method: 'PUT', body, headers: { 'content-length': String(fiftyMegabytes) } })
  t.equal(res.statusCode, 405)
  t.equal(res.headers.connection, 'close')
  t.same(await res.body.json(), notAllowedBody('PUT', '/users', ['GET', 'HEAD', 'OPTIONS']))
  t.ok(sent < fiftyMegabytes / 2, `${sent} bytes of ${fiftyMegabytes} written when the answer came`)
  body.destroy()
  const next = await request(origin + '/users')
  t.equal(next.statusCode, 200, 'the server is fine afterwards')
  await next.body.dump()
})

test('a small unread body is drained and the connection kept', async (t) => {
  const { app, parsed } = await build()
  const { port } = await listen(t, app)
  for (const size of [1024, 64 * 1024]) {
    const exchange = await rawExchange(port, [
      head('PUT', '/users', { 'Content-Type': 'text/plain', 'Content-Length': size }) + 'x'.repeat(size),
      head('GET', '/users')
    ], { responses: 2 })
    t.same(exchange.responses.map((r) => r.status), [405, 200], `${size} bytes`)
    t.same(exchange.responses[0].headers.connection, ['keep-alive'])
    t.equal(exchange.closed, false)
  }
  t.equal(parsed.count, 0)
})

test('QUERY and POST without a content type get 405/501, not Fastify\'s 400/415', async (t) => {
  const { app } = await build()
  const { origin } = await listen(t, app)

  const routed = await request(origin + '/search', { method: 'QUERY', body: 'q=1' })
  t.equal(routed.statusCode, 400, 'a routed QUERY without a content type is Fastify\'s to refuse')
  await routed.body.dump()

  const query = await request(origin + '/users', { method: 'QUERY', body: 'q=1' })
  t.equal(query.statusCode, 405)
  t.same(await query.body.json(), notAllowedBody('QUERY', '/users', ['GET', 'HEAD', 'OPTIONS']))

  const post = await request(origin + '/items/1', { method: 'POST', body: 'hello' })
  t.equal(post.statusCode, 501)
  t.same(await post.body.json(), notImplementedBody('POST'))

  const injected = await app.inject({ method: 'QUERY' as 'GET', url: '/users', payload: 'q=1', headers: { 'content-type': '' } })
  t.equal(injected.statusCode, 405)

  const badJson = await app.inject({ method: 'PUT', url: '/users', payload: '{"unterminated', headers: { 'content-type': 'application/json' } })
  t.equal(badJson.statusCode, 405, 'a body that would not parse is never parsed')

  const tooLarge = await app.inject({ method: 'PUT', url: '/users', payload: Buffer.alloc(2 * 1024 * 1024), headers: { 'content-type': 'application/octet-stream' } })
  t.equal(tooLarge.statusCode, 405, 'over the body limit: still 405, not 413')
})

test('over HTTP/2 a large unread body gets the same answer, with no Connection header', async (t) => {
  const app = Fastify({ http2: true })
  await app.register(notImplemented)
  app.get('/users', async () => [])
  app.put('/items/:id', async () => ({ put: true }))
  const { origin } = await listen(t, app)
  const warnings: Error[] = []
  const onWarning = (warning: Error): number => warnings.push(warning)
  process.on('warning', onWarning)
  t.teardown(() => process.off('warning', onWarning))

  const { status, headers, body } = await http2Request(origin, { ':method': 'PUT', ':path': '/users', 'content-length': String(fiftyMegabytes) }, Buffer.alloc(128 * 1024))
  t.equal(status, 405)
  t.equal(headers.allow, 'GET, HEAD, OPTIONS')
  t.equal(headers.connection, undefined)
  t.same(JSON.parse(body), notAllowedBody('PUT', '/users', ['GET', 'HEAD', 'OPTIONS']))
  await new Promise((resolve) => setImmediate(resolve))
  t.same(warnings.map((w) => w.message), [], 'no header Node would have to drop')
})
