import { test } from 'tap'
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import notImplemented = require('..')
import { tierRequiredBody } from './helpers/bodies'

const { schemas } = notImplemented

// Routes typed with TypeBox reference the plugin's schemas: the 501 goes through the route's
// own response serializer and keeps every documented field.
test('@fastify/type-provider-typebox routes referencing the exported schemas', async (t) => {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
  await app.register(notImplemented, { tiers: ['free', 'plus'], resolveTier: (request) => request.headers['x-plan'] as string, sharedSchemas: true })
  app.get('/reports', {
    config: { tier: 'plus' },
    schema: {
      response: {
        200: Type.Object({ revenue: Type.Number() }),
        501: Type.Ref(schemas.FST_TIER_REQUIRED),
        503: Type.Ref(schemas.FST_TIER_UNAVAILABLE)
      }
    }
  }, async () => ({ revenue: 42, secret: 'dropped by the 200 schema' }))
  t.teardown(() => app.close())

  const denied = await app.inject({ method: 'GET', url: '/reports', headers: { 'x-plan': 'free' } })
  t.equal(denied.statusCode, 501)
  t.same(denied.json(), tierRequiredBody())
  const allowed = await app.inject({ method: 'GET', url: '/reports', headers: { 'x-plan': 'plus' } })
  t.same(allowed.json(), { revenue: 42 })
  t.equal(schemas.FST_TIER_REQUIRED.$id, 'fastify-not-implemented/FST_TIER_REQUIRED')
})
