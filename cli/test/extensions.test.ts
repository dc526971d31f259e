import { test } from 'tap'
import Fastify from 'fastify'
import swagger from '@fastify/swagger'
import notImplemented = require('fastify-not-implemented')
import extensionsModule = require('../dist/extensions.js')

// The audit reads the OpenAPI extensions the plugin writes. The tool names them itself (they
// are the document's format, not the plugin's JavaScript API): here they are checked against
// the document @fastify/swagger builds for an app with the plugin, so neither side can rename one.

const { X_TIER, X_FEATURE, X_NOT_IMPLEMENTED, X_SUNSET, X_GONE } = extensionsModule as unknown as Record<'X_TIER' | 'X_FEATURE' | 'X_NOT_IMPLEMENTED' | 'X_SUNSET' | 'X_GONE', string>

type Operation = Record<string, unknown>

test('the extension names the audit reads are the ones the plugin writes into @fastify/swagger\'s document', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'extensions', version: '1.0.0' } } })
  await app.register(notImplemented, {
    tiers: ['free', 'plus'],
    resolveTier: () => 'free',
    isFeatureEnabled: () => false
  })
  app.get('/plain', async () => 'ok')
  app.get('/tier', { config: { tier: 'plus' } }, async () => 'ok')
  app.get('/feature', { config: { feature: 'reports' } }, async () => 'ok')
  app.declareRoute({ method: 'DELETE', url: '/plain' })
  app.get('/retiring', { config: { deprecation: { date: '2026-01-01', sunset: '2026-07-01T00:00:00Z' } } }, async () => 'ok')
  app.get('/retired', { config: { gone: true } }, async () => 'ok')
  await app.ready()
  const paths = (app.swagger() as unknown as { paths: Record<string, Record<string, Operation>> }).paths
  const extensions = (operation: Operation): Operation =>
    Object.fromEntries(Object.entries(operation).filter(([key]) => key.startsWith('x-')))

  t.same(extensions(paths['/plain'].get), {}, 'a plain operation has none')
  t.same(extensions(paths['/tier'].get), { [X_TIER]: 'plus' }, `a tier is ${X_TIER}`)
  t.same(extensions(paths['/feature'].get), { [X_FEATURE]: 'reports' }, `a feature is ${X_FEATURE}`)
  t.same(extensions(paths['/plain'].delete), { [X_NOT_IMPLEMENTED]: true }, `a declared endpoint is ${X_NOT_IMPLEMENTED}: true`)
  t.same(extensions(paths['/retiring'].get), { [X_SUNSET]: '2026-07-01T00:00:00.000Z' }, `a sunset is ${X_SUNSET}`)
  t.equal(paths['/retiring'].get.deprecated, true, 'beside OpenAPI\'s own deprecated')
  t.same(extensions(paths['/retired'].get), { [X_GONE]: true }, `a retired endpoint is ${X_GONE}: true`)
  t.same([X_TIER, X_FEATURE, X_NOT_IMPLEMENTED, X_SUNSET, X_GONE], ['x-tier', 'x-feature', 'x-not-implemented', 'x-sunset', 'x-gone'], 'the names the README documents')
})
