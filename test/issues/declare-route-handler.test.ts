import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('../..')

// 0.1.0: `declareRoute({ ..., handler })` from JavaScript silently dropped the handler.
test('declareRoute refuses a handler, naming the route', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  const declare = app.declareRoute as unknown as (route: object) => void
  t.throws(() => declare.call(app, { method: 'GET', url: '/reports', handler: async () => 'built' }), {
    name: 'TypeError',
    message: 'fastify-not-implemented: declareRoute() declares an endpoint this build does not have, so it takes no handler (GET /reports); declare a built endpoint with route() or get(), post(), ...'
  })
  t.throws(() => declare.call(app, { method: ['GET', 'POST'], url: '/x', handler: undefined }), { message: /takes no handler \(GET,POST \/x\)/ }, 'even an undefined one: the key says the caller meant one')
  app.get('/other', async () => 'other')
  await app.ready()
  t.equal((await app.inject({ url: '/reports' })).statusCode, 404, 'nothing was declared')
})
