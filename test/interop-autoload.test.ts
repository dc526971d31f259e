import { test } from 'tap'
import { join } from 'node:path'
import Fastify from 'fastify'
import autoload from '@fastify/autoload'
import notImplemented = require('..')

// Routes in folders, loaded by @fastify/autoload after the plugin: gated by their config,
// prefixed by their folder, and seen by the method table.
test('@fastify/autoload route folders', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, { tiers: ['free', 'plus'], resolveTier: (request) => request.headers['x-plan'] as string })
  await app.register(autoload, { dir: join(__dirname, 'fixtures', 'autoload', 'routes') })
  t.teardown(() => app.close())

  const denied = await app.inject({ method: 'GET', url: '/reports', headers: { 'x-plan': 'free' } })
  t.equal(denied.statusCode, 501)
  t.equal(denied.json().requiredTier, 'plus')
  const allowed = await app.inject({ method: 'GET', url: '/reports', headers: { 'x-plan': 'plus' } })
  t.same(allowed.json(), { revenue: 42 })

  const notAllowed = await app.inject({ method: 'POST', url: '/reports' })
  t.equal(notAllowed.statusCode, 405)
  t.equal(notAllowed.headers.allow, 'GET, HEAD, OPTIONS')
  // DELETE's only route is declared, not built: no route of this build implements it.
  const unbuiltOnly = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(unbuiltOnly.statusCode, 501)
  t.equal(unbuiltOnly.json().code, 'FST_METHOD_NOT_IMPLEMENTED')
  const declared = await app.inject({ method: 'DELETE', url: '/users/7' })
  t.equal(declared.statusCode, 501)
  t.equal(declared.json().code, 'FST_ENDPOINT_NOT_IMPLEMENTED')
  const unknown = await app.inject({ method: 'PUT', url: '/users' })
  t.equal(unknown.statusCode, 501)
  t.equal(unknown.json().code, 'FST_METHOD_NOT_IMPLEMENTED')
})
