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
  await t.resolves(Promise.resolve(app.ready()), 'at the root it is accepted')
})

test('printRoutes() says "(empty tree)" for an app with no routes, and one line per path otherwise', async (t) => {
  const app = Fastify()
  t.equal(app.printRoutes({ commonPrefix: false }).trim(), '(empty tree)')
  app.get('/a', async () => 'a')
  app.options('*', async () => '')
  await app.ready()
  t.equal(app.printRoutes({ commonPrefix: false }), '├── /a (GET, HEAD)\n└── * (OPTIONS)\n')
})

const internals = require('../dist/fastify-internals.js') as typeof import('../lib/fastify-internals')

test('Fastify\'s default error handler is told by its name', async (t) => {
  const app = Fastify()
  t.equal(app.errorHandler.name, 'defaultErrorHandler')
  const own = Fastify()
  own.setErrorHandler(function appHandler (error, _request, reply) { reply.send(error) })
  own.get('/x', async () => 'x')
  await own.ready()
  t.not(own.errorHandler.name, 'defaultErrorHandler')
})

// The raw bytes a server sends for `request`, until it closes the connection.
async function rawAnswer (app: FastifyInstance, request: string): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const { connect } = await import('node:net')
  const text = await new Promise<string>((resolve) => {
    let received = ''
    const socket = connect(port, '127.0.0.1', () => socket.write(request, 'latin1'))
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => { received += chunk })
    socket.on('error', () => {})
    socket.on('close', () => resolve(received))
  })
  await app.close()
  return text
}

test('the copy of Fastify\'s default client error handler answers byte for byte as Fastify does', async (t) => {
  const requests = [
    '\u0001\u0002garbage\r\n\r\n',
    `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`,
    'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n'
  ]
  for (const request of requests) {
    const fastifys = await rawAnswer(Fastify(), request)
    const copy = Fastify({ clientErrorHandler: notImplemented.clientErrorHandler })
    const ours = await rawAnswer(copy, request)
    t.match(fastifys, /^HTTP\/1\.1 4\d\d /, 'Fastify answers it as a client error')
    t.equal(ours, fastifys, JSON.stringify(request.slice(0, 30)))
  }
  t.equal(typeof internals.fastifyDefaultClientErrorHandler, 'function')
})

test('Node\'s socket holds the response it is writing, and lets go of it when it is done', async (t) => {
  const app = Fastify()
  let held: unknown
  let response: unknown
  app.get('/', async (request, reply) => {
    held = internals.responseHolding(request.raw.socket)
    response = reply.raw
    return 'ok'
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const { request } = await import('undici')
  const res = await request(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/`)
  await res.body.text()
  t.equal(held, response)
})
