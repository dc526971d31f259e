import { test } from 'tap'
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import notImplemented = require('../..')
import { tierRequiredBody } from '../helpers/bodies'

// A route keeps the error handler its context had when it was added. The plugin read the
// server's current one instead: with `setErrorHandler` called after the routes, it handed
// the error of a gated route to a handler that never ran, and Fastify's default one sent
// the body without `requiredTier`.
// As an app built by an async function, and given its error handler afterwards: the
// routes' contexts are settled by then (Fastify does so once the registering code yields).
async function build (): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(notImplemented, { tiers: ['free', 'plus'], resolveTier: () => 'free' })
  app.get('/reports', { config: { tier: 'plus' } }, async () => ({}))
  app.get('/users', async () => [])
  app.delete('/sessions', async () => ({}))
  return app
}

test('an error handler set after the routes: gated routes keep the documented body', async (t) => {
  const app = await build()
  t.teardown(() => app.close())
  const seen: string[] = []
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    seen.push(error.code)
    return reply.send({ handledBy: 'app', code: error.code })
  })
  const gated = await app.inject({ method: 'GET', url: '/reports' })
  t.equal(gated.statusCode, 501)
  t.same(gated.json(), tierRequiredBody('plus'), 'the route\'s own (default) handler: the plugin\'s body')
  t.equal(gated.headers['cache-control'], 'private, no-store')
  // The not-found path takes the handler in place when the app is ready: the app's.
  const notAllowed = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(notAllowed.statusCode, 405)
  t.same(notAllowed.json(), { handledBy: 'app', code: 'FST_METHOD_NOT_ALLOWED' })
  t.same(seen, ['FST_METHOD_NOT_ALLOWED'])
})
