import { test } from 'tap'
import { constants } from 'node:http2'
import Fastify from 'fastify'
import notImplemented = require('../..')
import { head, http2Request, listen, rawExchange } from '../helpers/http'

// 0.1.0 read `host`; over HTTP/2 Fastify's router routes on `:authority`, so Allow left out
// host-constrained routes (`Allow: POST, OPTIONS` where HTTP/1.1 gave
// `GET, HEAD, POST, OPTIONS`, and a 404 where HTTP/1.1 gave 405).
async function h2 (origin: string, method: string, path: string, authority: string): Promise<{ status: number, allow: unknown }> {
  const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_AUTHORITY } = constants
  const { status, headers } = await http2Request(origin, { [HTTP2_HEADER_METHOD]: method, [HTTP2_HEADER_PATH]: path, [HTTP2_HEADER_AUTHORITY]: authority })
  return { status, allow: headers.allow }
}

function routes (app: ReturnType<typeof Fastify>): void {
  app.get('/users', { constraints: { host: 'api.example' } }, async () => [])
  app.post('/users', async () => ({}))
  app.get('/admin', { constraints: { host: 'api.example' } }, async () => 'admin')
  app.delete('/other', async () => ({}))
}

test('HTTP/2: host-constrained routes count for Allow as over HTTP/1.1', async (t) => {
  const app = Fastify({ http2: true })
  await app.register(notImplemented)
  routes(app)
  const { origin } = await listen(t, app)
  const users = await h2(origin, 'DELETE', '/users', 'api.example')
  t.same(users, { status: 405, allow: 'GET, HEAD, POST, OPTIONS' })
  const admin = await h2(origin, 'DELETE', '/admin', 'api.example')
  t.same(admin, { status: 405, allow: 'GET, HEAD, OPTIONS' }, 'a path only host-constrained routes answer')
  const elsewhere = await h2(origin, 'DELETE', '/admin', 'other.example')
  t.same(elsewhere, { status: 404, allow: undefined }, 'not for another host')
})

test('HTTP/1.1 gives the same answers', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  routes(app)
  const { port } = await listen(t, app)
  const raw = await rawExchange(port, [
    head('DELETE', '/users', { Host: 'api.example' }),
    head('DELETE', '/admin', { Host: 'api.example' }),
    head('DELETE', '/admin', { Host: 'other.example' })
  ], { responses: 3 })
  t.same(raw.responses.map((r) => [r.status, r.headers.allow]), [
    [405, ['GET, HEAD, POST, OPTIONS']],
    [405, ['GET, HEAD, OPTIONS']],
    [404, undefined]
  ])
})
