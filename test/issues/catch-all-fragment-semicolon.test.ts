import { test } from 'tap'
import Fastify from 'fastify'
import cors from '@fastify/cors'
import notImplemented = require('../..')
import { fastifyNotFound } from '../helpers/bodies'
import { head, listen, rawExchange } from '../helpers/http'

// 0.1.0: a root catch-all (@fastify/cors's `OPTIONS *`, or `/*`) plus a `#fragment`, or a
// `;param` with `useSemicolonDelimiter`, turned an unrouted path's 404 into a cacheable
// `405 Allow: OPTIONS`: the catch-all's capture no longer equalled the raw target.

for (const catchAll of ['OPTIONS * (cors)', 'GET /*'] as const) {
  for (const useSemicolonDelimiter of [false, true]) {
    test(`${catchAll}, useSemicolonDelimiter ${useSemicolonDelimiter}: an unrouted path keeps its 404 with a fragment or a ;param`, async (t) => {
      const app = Fastify({ routerOptions: { useSemicolonDelimiter } as object })
      await app.register(notImplemented)
      if (catchAll === 'GET /*') app.get('/*', async () => 'everything')
      else await app.register(cors)
      app.get('/users', async () => [])
      app.delete('/users/:id', async () => ({}))
      const { port } = await listen(t, app)
      const targets = ['/nothing#frag', '/nothing;jsessionid=1', '/nothing;a#b', '/a/b#/c']
      const raw = await rawExchange(port, targets.map((target) => head('DELETE', target)), { responses: targets.length })
      t.same(raw.responses.map((r) => r.status), targets.map(() => 404), targets.join(' '))
      for (const response of raw.responses) {
        t.same(response.headers.allow, undefined)
        t.same(response.headers['cache-control'], undefined, 'Fastify\'s 404 as it is')
      }
      t.same(JSON.parse(raw.responses[0].body), fastifyNotFound('DELETE', '/nothing#frag'))
    })
  }
}

test('with useSemicolonDelimiter, a ;param on a routed path still gets its 405', async (t) => {
  const app = Fastify({ routerOptions: { useSemicolonDelimiter: true } as object })
  await app.register(notImplemented)
  await app.register(cors)
  app.get('/users', async () => [])
  app.delete('/items/:id', async () => ({}))
  const { port } = await listen(t, app)
  const raw = await rawExchange(port, [head('DELETE', '/users;v=1'), head('DELETE', '/users#top')], { responses: 2 })
  t.same(raw.responses.map((r) => r.status), [405, 405])
  t.same(raw.responses.map((r) => r.headers.allow), [['GET, HEAD, OPTIONS'], ['GET, HEAD, OPTIONS']])
})
