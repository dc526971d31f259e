import { test } from 'tap'
import Fastify from 'fastify'
import sensible from '@fastify/sensible'
import notImplemented = require('..')

// @fastify/sensible owns reply.notImplemented() and reply.methodNotAllowed(); the plugin
// decorates neither, so both register in either order and each keeps its own answers.
for (const order of ['sensible-first', 'plugin-first'] as const) {
  test(`@fastify/sensible, ${order}`, async (t) => {
    const app = Fastify()
    if (order === 'sensible-first') {
      await app.register(sensible)
      await app.register(notImplemented, { tiers: ['free', 'plus'], resolveTier: () => 'free' })
    } else {
      await app.register(notImplemented, { tiers: ['free', 'plus'], resolveTier: () => 'free' })
      await app.register(sensible)
    }
    app.get('/legacy', async (request, reply) => reply.notImplemented('not yet'))
    app.get('/teapot', async () => { throw app.httpErrors.imateapot() })
    app.get('/reports', { config: { tier: 'plus' } }, async () => ({}))
    t.teardown(() => app.close())

    const legacy = await app.inject({ method: 'GET', url: '/legacy' })
    t.equal(legacy.statusCode, 501)
    t.same(legacy.json(), { statusCode: 501, error: 'Not Implemented', message: 'not yet' }, "sensible's own 501")

    const teapot = await app.inject({ method: 'GET', url: '/teapot' })
    t.equal(teapot.statusCode, 418)

    const gated = await app.inject({ method: 'GET', url: '/reports' })
    t.equal(gated.statusCode, 501)
    t.equal(gated.json().code, 'FST_TIER_REQUIRED')
    t.equal(gated.headers['cache-control'], 'private, no-store')

    const notAllowed = await app.inject({ method: 'POST', url: '/legacy' })
    t.equal(notAllowed.statusCode, 501, 'POST is implemented nowhere')
    t.type(app.declareRoute, 'function')
  })
}
