'use strict'

// The demo API: plans (remembered per API key), a feature flag, a declared-but-unbuilt
// endpoint, a versioned one, one on its way out and one retired, so each answer of the
// plugin can be tried with curl (see server.js).
const Fastify = require('fastify')
const notImplemented = require('..')

// Who is asking: the demo's API keys name their plan. A real app looks the key up.
const plans = { 'free-key': 'free', 'pro-key': 'pro', 'plus-key': 'plus' }
// Feature flags per plan; a real app asks its flag service (see openFeatureFlags).
const flags = { plus: new Set(['bulk-export']) }

function build (opts = {}) {
  const app = Fastify({ clientErrorHandler: notImplemented.clientErrorHandler, ...opts })

  app.register(notImplemented, {
    tiers: ['free', 'pro', 'plus'],
    resolveTier (request) {
      const key = request.headers['x-api-key']
      // The demo's stand-in for a plan service that is down.
      if (key === 'broken-key') throw new Error('plan service unreachable')
      return plans[key]
    },
    isFeatureEnabled (feature, request) {
      const plan = plans[request.headers['x-api-key']]
      return flags[plan]?.has(feature) ?? false
    },
    // Each key's plan is remembered for 30 s, and answers for 5 minutes more while the plan
    // service fails; `app.invalidateTier(key)` forgets it at once (after an upgrade, say).
    tierCache: { key: (request) => request.headers['x-api-key'] }
  })

  app.register(async function routes (app) {
    app.get('/users', async () => [{ id: 1, name: 'Ada' }])
    app.post('/users', async (request, reply) => reply.code(201).send({ id: 2 }))
    app.get('/users/:id', async (request) => ({ id: Number(request.params.id), name: 'Ada' }))
    app.put('/users/:id', async (request) => ({ id: Number(request.params.id) }))
    app.delete('/users/:id', async (request, reply) => reply.code(204).send())

    // Plan-gated: only `plus` callers get the handler.
    app.get('/reports', { config: { tier: 'plus' } }, async () => ({ revenue: 42 }))
    // Flag-gated: only callers with bulk-export on.
    app.post('/exports', { config: { feature: 'bulk-export' } }, async (request, reply) => reply.code(202).send({ queued: true }))
    // In the contract, not in this build: no handler to write.
    app.declareRoute({ method: 'POST', url: '/invoices' })
    // Only version 1 exists; clients asking for 2 get 501, not 404.
    app.get('/search', { constraints: { version: '1.0.0' } }, async () => ({ results: [], version: 1 }))
    // On its way out: every answer says since when, until when, and where to read more.
    app.get('/v1/users', {
      config: { deprecation: { date: '2026-01-15T00:00:00Z', sunset: '2099-01-01T00:00:00Z', link: 'https://example.com/migrate-to-users' } }
    }, async () => [{ id: 1, name: 'Ada' }])
    // Retired: 410, and the handler never runs.
    app.get('/v0/users', { config: { gone: true } }, async () => [])
  })

  return app
}

module.exports = build
