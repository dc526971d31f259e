import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import notImplemented = require('..')

// Every private read of Fastify the plugin makes (lib/fastify-internals.ts) is checked
// here against the installed Fastify, so that an upgrade that changes one fails loudly.

test('on a Fastify without the not-found internals it relies on, registration fails loudly', async (t) => {
  await t.rejects(
    notImplemented({} as FastifyInstance, {}),
    /this Fastify version has no "fastify\.404ContextKey"; the plugin supports Fastify 5\.x/
  )
})

test('the root instance is told from an encapsulated one', async (t) => {
  const app = Fastify()
  let seenInChild = false
  await app.register(async (child) => {
    // The plugin's own check: registered here, it refuses.
    await t.rejects(Promise.resolve(notImplemented(child, {})), { message: /registered inside an encapsulated plugin/ })
    seenInChild = true
  })
  t.ok(seenInChild)
  await app.register(notImplemented)
  await t.resolves(app.ready(), 'at the root it is accepted')
})

test('printRoutes() says "(empty tree)" for an app with no routes, and one line per path otherwise', async (t) => {
  const app = Fastify()
  t.equal(app.printRoutes({ commonPrefix: false }).trim(), '(empty tree)')
  app.get('/a', async () => 'a')
  app.options('*', async () => '')
  await app.ready()
  t.equal(app.printRoutes({ commonPrefix: false }), '├── /a (GET, HEAD)\n└── * (OPTIONS)\n')
})
