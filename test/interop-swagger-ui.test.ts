import { test } from 'tap'
import Fastify from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import notImplemented = require('..')

// The documentation UI's own routes (including its static wildcard) keep working, and a
// wrong method on them gets the plugin's 405 rather than a 404.
test('@fastify/swagger-ui beside the plugin', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  await app.register(swagger, { openapi: { info: { title: 'demo', version: '1.0.0' } } })
  await app.register(swaggerUi, { routePrefix: '/documentation' })
  app.get('/users', async () => [])
  app.post('/users', async () => ({}))
  t.teardown(() => app.close())

  const json = await app.inject({ method: 'GET', url: '/documentation/json' })
  t.equal(json.statusCode, 200)
  t.ok(json.json().paths['/users'])

  const page = await app.inject({ method: 'GET', url: '/documentation/static/swagger-initializer.js' })
  t.equal(page.statusCode, 200)

  const wrong = await app.inject({ method: 'POST', url: '/documentation/json' })
  t.equal(wrong.statusCode, 405)
  t.equal(wrong.headers.allow, 'GET, HEAD, OPTIONS')

  const missing = await app.inject({ method: 'GET', url: '/documentation/nothing-here' })
  t.equal(missing.statusCode, 404)
})
