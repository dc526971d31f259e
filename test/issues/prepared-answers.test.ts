import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('../..')

// The build the app runs, as the other tests use it (the source would be a second copy).
const { writesNothing } = require('../../dist/decisions.js') as typeof import('../../lib/decisions')

// The plugin makes each 405, 501 and tier 501 once and sends the same bytes to every caller
// who gets it. Nothing a caller, a hook or an app's error handler does may change the
// answer the next caller gets.

test('an error handler that changes the error it gets changes no later answer', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, { tiers: ['free', 'plus'], resolveTier: () => 'free' })
  let change = true
  app.setErrorHandler((error: any, request, reply) => {
    if (change) {
      error.message = 'changed'
      error.allow?.push('TRACE')
      if (error.headers !== undefined) error.headers.allow = 'TRACE'
      error.requiredTier = 'nobody'
    }
    reply.code(error.statusCode).headers(error.headers).send({ message: error.message, allow: error.allow, requiredTier: error.requiredTier })
  })
  app.get('/users', async () => [])
  app.delete('/users/:id', async () => null)
  app.get('/reports', { config: { tier: 'plus' } }, async () => [])
  await app.ready()

  const changed = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(changed.headers.allow, 'TRACE', 'the handler\'s own copy, changed')
  await app.inject({ method: 'GET', url: '/reports' })
  change = false

  const notAllowed = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(notAllowed.statusCode, 405)
  t.equal(notAllowed.headers.allow, 'GET, HEAD, OPTIONS')
  t.same(notAllowed.json(), { message: 'Method DELETE is not allowed on /users', allow: ['GET', 'HEAD', 'OPTIONS'] })
  const tier = await app.inject({ method: 'GET', url: '/reports' })
  t.equal(tier.statusCode, 501)
  t.same(tier.json(), { message: 'This endpoint requires the plus plan', requiredTier: 'plus' })
})

test('an onSend hook that changes one answer\'s headers leaves the next one whole', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  let changed = false
  app.addHook('onSend', async (request, reply, payload) => {
    if (!changed) {
      changed = true
      reply.header('allow', 'TRACE').header('cache-control', 'no-cache')
    }
    return payload
  })
  app.get('/users', async () => [])
  app.delete('/users/:id', async () => null)
  await app.ready()

  const first = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(first.headers.allow, 'TRACE')
  const second = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(second.headers.allow, 'GET, HEAD, OPTIONS')
  t.equal(second.headers['cache-control'], 'max-age=60')
  t.same(second.json(), {
    statusCode: 405,
    code: 'FST_METHOD_NOT_ALLOWED',
    error: 'Method Not Allowed',
    message: 'Method DELETE is not allowed on /users',
    allow: ['GET', 'HEAD', 'OPTIONS']
  })
})

test('each path and method gets its own 405, each method its own 501', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/a', async () => 'a')
  app.put('/b/:id', async () => 'b')
  app.delete('/c', async () => 'c')
  app.post('/d', async () => 'd')
  await app.ready()
  const asked = [['DELETE', '/a'], ['POST', '/a'], ['DELETE', '/b/1'], ['DELETE', '/b/2'], ['DELETE', '/a'], ['PATCH', '/a'], ['PROPFIND', '/a'], ['PATCH', '/b/1']] as const
  const answers = []
  for (const [method, url] of asked) {
    const response = await app.inject({ method, url })
    answers.push([response.statusCode, response.json().message, response.headers.allow])
  }
  t.same(answers, [
    [405, 'Method DELETE is not allowed on /a', 'GET, HEAD, OPTIONS'],
    [405, 'Method POST is not allowed on /a', 'GET, HEAD, OPTIONS'],
    [405, 'Method DELETE is not allowed on /b/1', 'PUT, OPTIONS'],
    [405, 'Method DELETE is not allowed on /b/2', 'PUT, OPTIONS'],
    [405, 'Method DELETE is not allowed on /a', 'GET, HEAD, OPTIONS'],
    [501, 'Method PATCH is not implemented by this server', undefined],
    [501, 'Method PROPFIND is not implemented by this server', undefined],
    [501, 'Method PATCH is not implemented by this server', undefined]
  ])
})

test('past the 4,096 405s kept, each is still made for its own path and method', async (t) => {
  const app = Fastify()
  app.addHttpMethod('SEARCH', { hasBody: true })
  await app.register(notImplemented)
  const methods = ['POST', 'PUT', 'DELETE', 'PATCH', 'SEARCH'] as const
  app.get('/items/:id', async () => ({}))
  for (const method of methods) app.route({ method, url: `/other/${method.toLowerCase()}`, handler: async () => ({}) })
  await app.ready()
  // 900 paths (fewer than the 1,000 remembered) of 5 methods each: 4,500 answers.
  let wrong = 0
  for (let round = 0; round < 2; round++) {
    for (let id = 0; id < 900; id++) {
      for (const method of methods) {
        const response = await app.inject({ method, url: `/items/${id}` })
        if (response.statusCode !== 405 || response.json().message !== `Method ${method} is not allowed on /items/${id}` || response.headers.allow !== 'GET, HEAD, OPTIONS') wrong++
      }
    }
  }
  t.equal(wrong, 0, 'every one of 9,000 answers names its own method and path')
})

test('405s of paths too long to remember do not use up the 405s kept for the others', async (t) => {
  // The exported constructors are the ones the plugin builds its errors with: counting the
  // 405s made shows which ones are made again.
  let made = 0
  const errors = notImplemented.errors as unknown as Record<string, new (...args: unknown[]) => Error>
  const original = errors.FST_METHOD_NOT_ALLOWED
  errors.FST_METHOD_NOT_ALLOWED = class extends original {
    constructor (...args: unknown[]) {
      super(...args)
      made++
    }
  }
  t.teardown(() => { errors.FST_METHOD_NOT_ALLOWED = original })
  const app = Fastify({ routerOptions: { maxParamLength: 5000 } })
  await app.register(notImplemented)
  app.post('/items/:id', async () => 'posted')
  app.get('/other', async () => 'got')
  await app.ready()
  const madeFor = async (requests: number, url: (index: number) => string): Promise<number> => {
    const before = made
    for (let index = 0; index < requests; index++) {
      const response = await app.inject({ method: 'GET', url: url(index) })
      t.equal(response.statusCode, 405)
    }
    return made - before
  }
  t.equal(await madeFor(4100, (index) => `/items/${'x'.repeat(600)}${index}`), 4100, 'a path over 512 characters: made for its request alone')
  t.equal(await madeFor(100, () => '/items/1'), 1, 'a short path afterwards: made once, and kept')
})

test('a logger method that does nothing gets no entry built; any other does', async (t) => {
  function noop () { }
  t.ok(writesNothing(noop), 'an empty function (Fastify\'s logger where the app has none)')
  t.ok(writesNothing(noop), 'the same function again')
  t.ok(writesNothing(() => {}), 'an empty arrow function')
  const writes = (...args: unknown[]) => args
  t.notOk(writesNothing(writes), 'a function of no declared parameters that does something')
  t.notOk(writesNothing(writes), 'the same function again')
  t.notOk(writesNothing(function info (entry: unknown) { return entry }), 'a function with a parameter')
  t.notOk(writesNothing(function () { return 1 }), 'a body that is not empty')
  t.notOk(writesNothing(noop.bind(null)), 'a bound function: its source is not known')
  t.notOk(writesNothing(undefined), 'not a function')
})

// An app with its own logger, a path with GET and a method (DELETE) implemented elsewhere.
async function appWithLogger (logger: any) {
  logger.child = () => logger
  const app = Fastify({ loggerInstance: logger, disableRequestLogging: true })
  await app.register(notImplemented)
  app.get('/users', async () => [])
  app.delete('/users/:id', async () => null)
  await app.ready()
  return app
}

test('a logger whose methods take no declared parameters still gets every decision', async (t) => {
  const lines: unknown[][] = []
  const write = (...args: unknown[]) => { lines.push(args) }
  const silent = () => {}
  const app = await appWithLogger({ level: 'info', info: write, warn: write, error: write, fatal: write, debug: silent, trace: silent })
  t.teardown(() => app.close())
  await app.inject({ method: 'DELETE', url: '/users' })
  t.same(lines.filter(([entry]) => (entry as Record<string, unknown>)?.notImplemented !== undefined).map(([, message]) => message), ['Method DELETE is not allowed on /users'])
})

test('a logger whose method cannot be looked at changes no answer', async (t) => {
  const lengthTrap = new Proxy(function info () {}, { get (target, key) { if (key === 'length') throw new Error('length trap'); return Reflect.get(target, key) } })
  for (const trap of ['length', 'getter']) {
    // Armed once the app is ready: Fastify reads the logger's methods when it is made.
    let armed = false
    const logger: any = { level: 'info', warn: () => {}, error: () => {}, fatal: () => {}, debug: () => {}, trace: () => {} }
    Object.defineProperty(logger, 'info', {
      get: () => {
        if (armed && trap === 'getter') throw new Error('getter trap')
        return trap === 'length' ? lengthTrap : () => {}
      }
    })
    const app = await appWithLogger(logger)
    armed = true
    const response = await app.inject({ method: 'PATCH', url: '/users' })
    t.equal(response.statusCode, 501, trap)
    t.equal(response.json().code, 'FST_METHOD_NOT_IMPLEMENTED')
    await app.close()
  }
})
