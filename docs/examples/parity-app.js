'use strict'

// An app that serves its capability matrix, for `parity`. Run directly, it listens on PORT:
// `PORT=3001 node docs/examples/parity-app.js`; WITHOUT_HEALTH=1 leaves out /health, as an
// instance left on an older build would.
const Fastify = require('fastify')
const notImplemented = require('fastify-not-implemented')

async function build () {
  const app = Fastify()
  await app.register(notImplemented, {
    tiers: ['free', 'plus'],
    resolveTier: (request) => request.headers['x-plan'] === 'plus' ? 'plus' : 'free',
    capabilitiesRoute: '/.well-known/capabilities'
  })
  app.get('/pets', async () => [])
  app.post('/pets', { config: { tier: 'plus' } }, async () => ({}))
  if (process.env.WITHOUT_HEALTH === undefined) app.get('/health', async () => 'ok')
  return app
}

module.exports = build
if (require.main === module) build().then((app) => app.listen({ port: Number(process.env.PORT) }))
