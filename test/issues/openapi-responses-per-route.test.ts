import { test } from 'tap'
import Fastify from 'fastify'
import swagger from '@fastify/swagger'
import notImplemented = require('../..')

// The plugin describes each kind of operation once, at start-up, and once gave every route
// of that kind the very same response objects. @fastify/swagger hands a route's schema to
// `transform` as it is, so a transform that annotated one route in place annotated every
// route of its kind, and the YAML document tied them with anchors. Each route's schema now
// holds its own copy.

test('a swagger transform that edits one route\'s responses in place edits that route\'s alone', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, { tiers: ['free', 'pro'], resolveTier: () => 'free' })
  await app.register(swagger, {
    openapi: { info: { title: 'Plans', version: '1.0.0' } },
    transform: ({ schema, url }: { schema: any, url: string }) => {
      if (url.startsWith('/admin')) {
        schema.response['501'].description += ' Ask your account manager.'
        schema.response['503'].headers['retry-after'].description = 'changed'
      }
      return { schema, url }
    }
  })
  app.get('/admin/reports', { config: { tier: 'pro' } }, async () => 'admin')
  app.get('/reports', { config: { tier: 'pro' } }, async () => 'public')
  await app.ready()
  t.teardown(() => app.close())

  const doc = app.swagger() as any
  const responses = (url: string) => doc.paths[url].get.responses
  t.equal(responses('/admin/reports')['501'].description, 'Requires the "pro" plan or a higher one (FST_TIER_REQUIRED) Ask your account manager.')
  t.equal(responses('/reports')['501'].description, 'Requires the "pro" plan or a higher one (FST_TIER_REQUIRED)')
  t.equal(responses('/reports')['503'].headers['retry-after'].description, 'Seconds to wait before retrying')
})

test('a Swagger 2.0 YAML document has no anchors tying one route\'s answers to another\'s', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, { tiers: ['free', 'pro'], resolveTier: () => 'free' })
  await app.register(swagger, { swagger: { info: { title: 'Plans', version: '1.0.0' } } })
  app.get('/admin/reports', { config: { tier: 'pro' } }, async () => 'admin')
  app.get('/reports', { config: { tier: 'pro' } }, async () => 'public')
  await app.ready()
  t.teardown(() => app.close())
  const yaml = app.swagger({ yaml: true }) as unknown as string
  t.match(yaml, /retry-after/)
  t.notMatch(yaml, /(?:&|\*)[A-Za-z]\w*/, 'no YAML anchors or aliases')
})
