import { test } from 'tap'
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify'
import notImplemented = require('..')
import { notAllowedBody, notImplementedBody } from './helpers/bodies'

function routes (app: FastifyInstance): void {
  app.get('/users', async () => [])
  app.post('/users', async () => ({}))
  app.register(async (api) => {
    api.put('/things/:id', async () => ({}))
  }, { prefix: '/api' })
}

test('a route with no tier, feature or implemented carries no hook of the plugin', async (t) => {
  const printed = (instance: FastifyInstance): string => instance.printRoutes({ includeHooks: true, commonPrefix: false })
  const bare = Fastify()
  routes(bare)
  await bare.ready()
  const plain = Fastify()
  await plain.register(notImplemented)
  routes(plain)
  await plain.ready()
  t.equal(printed(plain), printed(bare), 'the routes print exactly as without the plugin')
  t.notMatch(printed(plain), /onRequest|preHandler/)

  const app = Fastify()
  await app.register(notImplemented, { tiers: ['free', 'plus'], resolveTier: () => 'free' })
  const seen = new Map<string, RouteOptions>()
  app.addHook('onRoute', (route) => {
    seen.set(`${String(route.method)} ${route.url}`, route)
  })
  routes(app)
  app.get('/gated', { config: { tier: 'plus' } }, async () => 'gated')
  await app.ready()
  t.match(printed(app), /\/gated \(GET\)\n[│ ]*• \(onRequest\) \["notImplementedGate\(\)"\]/, 'a gated route shows the hook it got')

  for (const key of ['GET /users', 'HEAD /users', 'POST /users', 'PUT /api/things/:id']) {
    const route = seen.get(key) as RouteOptions
    t.ok(route, key)
    t.same([route.onRequest ?? []].flat(), [], `${key}: no onRequest hook`)
    t.same([route.preHandler ?? []].flat(), [], `${key}: no preHandler hook`)
  }
  t.equal([(seen.get('GET /gated') as RouteOptions).onRequest].flat().length, 1, 'an observer after the plugin would see a hook it added')
})

test('the app\'s hooks run before the plugin answers on the not-found path', async (t) => {
  const app = Fastify()
  const order: string[] = []
  app.addHook('onRequest', async (request, reply) => {
    order.push('before-plugin')
    reply.header('x-request-seen', 'yes')
    if (request.headers.authorization === undefined) {
      await reply.code(401).send({ error: 'who are you?' })
    }
  })
  await app.register(notImplemented)
  app.addHook('onRequest', async () => {
    order.push('after-plugin')
  })
  routes(app)

  const notAllowed = await app.inject({ method: 'PUT', url: '/users', headers: { authorization: 'Bearer x' } })
  t.equal(notAllowed.statusCode, 405)
  t.equal(notAllowed.headers['x-request-seen'], 'yes')
  t.same(notAllowed.json(), notAllowedBody('PUT', '/users', ['GET', 'HEAD', 'POST', 'OPTIONS']))
  t.same(order, ['before-plugin', 'after-plugin'], 'both app hooks ran, whatever their place beside the plugin')

  order.length = 0
  const notImplementedRes = await app.inject({ method: 'PATCH', url: '/nothing', headers: { authorization: 'Bearer x' } })
  t.same(notImplementedRes.json(), notImplementedBody('PATCH'))
  t.equal(notImplementedRes.headers['x-request-seen'], 'yes')
  t.same(order, ['before-plugin', 'after-plugin'])

  const refused = await app.inject({ method: 'PUT', url: '/users' })
  t.equal(refused.statusCode, 401, 'an app hook that answers first has the last word')
  t.same(refused.json(), { error: 'who are you?' })
  t.equal(refused.headers.allow, undefined)
})

test('hooks of a prefixed context with its own not-found handler run on its not-found path', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  routes(app)
  app.register(async (admin) => {
    admin.addHook('onRequest', async (_request, reply) => {
      reply.header('x-admin', 'checked')
    })
    admin.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ admin: 'missing' }))
    admin.get('/jobs', async () => [])
  }, { prefix: '/admin' })
  const res = await app.inject({ method: 'POST', url: '/admin/jobs' })
  t.equal(res.statusCode, 405)
  t.equal(res.headers['x-admin'], 'checked')
  const missing = await app.inject({ method: 'POST', url: '/admin/nothing' })
  t.same(missing.json(), { admin: 'missing' })
  t.equal(missing.headers['x-admin'], 'checked')
})
