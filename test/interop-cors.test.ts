import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import cors from '@fastify/cors'
import { request } from 'undici'
import notImplemented = require('..')
import { listen } from './helpers/http'

// @fastify/cors registers an `OPTIONS *` catch-all route and an onRequest hook. Whatever the
// order, that catch-all must not make every path look routed, nor hide the Allow list, and
// CORS preflights stay cors's answer.
async function build (): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(notImplemented)
  await app.register(cors, { origin: 'https://app.example' })
  app.get('/users', async () => [])
  app.post('/users', async () => ({}))
  app.delete('/items/:id', async () => ({}))
  return app
}

test('@fastify/cors registered first: the app does not start, and the error says to register cors after the plugin', async (t) => {
  const app = Fastify()
  await app.register(cors, { origin: 'https://app.example' })
  app.register(notImplemented)
  // Its `OPTIONS *` route is declared before the plugin loads; the plugin cannot read its
  // config, so it refuses rather than guess that no route before it is gated.
  await t.rejects(Promise.resolve(app.ready()), {
    message: /^fastify-not-implemented: 1 route\(s\) were declared before the plugin loaded, .*: \* \(OPTIONS\)\. .*such as @fastify\/cors.*`await app\.register\(notImplemented, options\)`/
  })
})

test('@fastify/cors registered after the plugin', async (t) => {
  const app = await build()
  const { origin: base } = await listen(t, app)

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
