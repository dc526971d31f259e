import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import cors from '@fastify/cors'
import { request } from 'undici'
import notImplemented = require('..')

// @fastify/cors registers an `OPTIONS *` catch-all route and an onRequest hook. Whatever the
// order, that catch-all must not make every path look routed, nor hide the Allow list, and
// CORS preflights stay cors's answer.
async function build (order: 'cors-first' | 'plugin-first'): Promise<FastifyInstance> {
  const app = Fastify()
  if (order === 'cors-first') {
    await app.register(cors, { origin: 'https://app.example' })
    await app.register(notImplemented)
  } else {
    await app.register(notImplemented)
    await app.register(cors, { origin: 'https://app.example' })
  }
  app.get('/users', async () => [])
  app.post('/users', async () => ({}))
  app.delete('/items/:id', async () => ({}))
  return app
}

for (const order of ['cors-first', 'plugin-first'] as const) {
  test(`@fastify/cors, ${order}`, async (t) => {
    const app = await build(order)
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.teardown(() => app.close())
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`

    const unrouted = await request(`${base}/nothing-here`, { method: 'DELETE' })
    t.equal(unrouted.statusCode, 404, 'an unrouted path keeps its 404')
    await unrouted.body.dump()

    const notAllowed = await request(`${base}/users`, { method: 'DELETE', headers: { origin: 'https://app.example' } })
    t.equal(notAllowed.statusCode, 405)
    t.equal(notAllowed.headers.allow, 'GET, HEAD, POST, OPTIONS', 'OPTIONS (answered by cors) is listed')
    t.equal(notAllowed.headers['access-control-allow-origin'], 'https://app.example', 'cors headers on the 405')
    t.equal(notAllowed.headers['cache-control'], 'max-age=60')
    t.same((await notAllowed.body.json() as { allow: string[] }).allow, ['GET', 'HEAD', 'POST', 'OPTIONS'])

    const preflight = await request(`${base}/users`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' }
    })
    t.equal(preflight.statusCode, 204, 'cors answers its preflight')
    t.equal(preflight.headers['access-control-allow-origin'], 'https://app.example')
    t.match(String(preflight.headers['access-control-allow-methods']), /POST/)
    await preflight.body.dump()

    const unknownMethod = await request(`${base}/users`, { method: 'PATCH' })
    t.equal(unknownMethod.statusCode, 501)
    t.equal((await unknownMethod.body.json() as { code: string }).code, 'FST_METHOD_NOT_IMPLEMENTED')
  })
}
