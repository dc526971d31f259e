import { test } from 'tap'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import notImplemented = require('../..')
import { counted, logCapture, tierFromHeader, tiers } from '../helpers/gating'
import { listen } from '../helpers/http'
import { request } from 'undici'

// 0.1.0: on a gated route with an async resolver, an exception while answering became an
// unhandled rejection and the process exited with no answer; with a sync resolver, a 500.

// A rejection reason whose enumerable getter throws when a log serializer reads it.
function poisoned (): Error {
  const error = new Error('db down')
  Object.defineProperty(error, 'detail', { enumerable: true, get () { throw new Error('getter exploded') } })
  return error
}

function unhandledRejections (t: { teardown: (fn: () => void) => void }): unknown[] {
  const seen: unknown[] = []
  const listener = (reason: unknown): void => { seen.push(reason) }
  process.on('unhandledRejection', listener)
  t.teardown(() => { process.off('unhandledRejection', listener) })
  return seen
}

for (const kind of ['sync', 'async'] as const) {
  test(`a ${kind} resolver failing with a reason whose getter throws still gets 503, logged, and the process stays up`, async (t) => {
    const rejections = unhandledRejections(t)
    const logs = logCapture()
    const app = Fastify({ logger: { level: 'info', stream: logs.stream } })
    const handler = counted(() => 'never')
    await app.register(notImplemented, {
      tiers,
      resolveTier: kind === 'sync' ? () => { throw poisoned() } : async () => { throw poisoned() }
    })
    app.get('/plus', { config: { tier: 'plus' } }, async () => handler())
    const { origin } = await listen(t, app)
    const res = await request(origin + '/plus')
    t.equal(res.statusCode, 503)
    t.equal(res.headers['retry-after'], '5')
    t.equal(res.headers['cache-control'], 'no-store')
    t.same(await res.body.json(), { statusCode: 503, code: 'FST_TIER_UNAVAILABLE', error: 'Service Unavailable', message: 'The caller\'s plan could not be determined' })
    t.equal(handler.calls, 0)
    const warn = logs.lines.find((line) => line.level === 40)
    t.match(warn, { msg: 'The caller\'s plan could not be determined: db down', err: { type: 'Error', message: 'db down' } })
    // Let any stray rejection surface before counting.
    await new Promise((resolve) => setImmediate(resolve))
    t.same(rejections, [])
  })

  test(`a logger that throws changes no answer of a ${kind} gate`, async (t) => {
    const rejections = unhandledRejections(t)
    const throwing = (): never => { throw new Error('log sink down') }
    const logger = {
      level: 'info',
      fatal: throwing,
      error: throwing,
      warn: throwing,
      info: throwing,
      debug: throwing,
      trace: throwing,
      silent: () => {},
      child () { return logger }
    } as unknown as FastifyBaseLogger
    const app = Fastify({ loggerInstance: logger, disableRequestLogging: true })
    await app.register(notImplemented, {
      tiers,
      resolveTier: kind === 'sync' ? tierFromHeader : async (request) => tierFromHeader(request)
    })
    app.get('/plus', { config: { tier: 'plus' } }, async () => 'in')
    t.equal((await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } })).statusCode, 501, 'the denial')
    t.equal((await app.inject({ url: '/plus', headers: { 'x-tier': 'gold' } })).statusCode, 503, 'the 503 of an unknown tier')
    t.equal((await app.inject({ url: '/plus', headers: { 'x-tier': 'plus' } })).statusCode, 200)
    t.equal((await app.inject({ method: 'PUT', url: '/plus' })).statusCode, 501, 'the not-found path too')
    await new Promise((resolve) => setImmediate(resolve))
    t.same(rejections, [])
  })

  test(`a ${kind} gate whose own answer cannot be made still keeps the handler from running`, async (t) => {
    const rejections = unhandledRejections(t)
    const app = Fastify()
    const handler = counted(() => 'never')
    await app.register(notImplemented, {
      tiers,
      vary: 'Authorization',
      resolveTier: kind === 'sync' ? tierFromHeader : async (request) => tierFromHeader(request)
    })
    // An earlier hook leaves a Vary value that cannot be read as text.
    app.get('/plus', {
      config: { tier: 'plus' },
      onRequest: (_request, reply, done) => {
        reply.header('vary', { toString () { throw new Error('unreadable') } })
        done()
      }
    }, async () => handler())
    const res = await app.inject({ url: '/plus', headers: { 'x-tier': 'free' } })
    t.equal(res.statusCode, 500, 'Fastify\'s own error path answers')
    t.equal(handler.calls, 0)
    await new Promise((resolve) => setImmediate(resolve))
    t.same(rejections, [])
  })
}

test('a cacheControl value with a character no header may carry is refused at start-up', async (t) => {
  const app = Fastify()
  app.register(notImplemented, { cacheControl: { FST_METHOD_NOT_ALLOWED: 'max-age=60 — one minute' } })
  await t.rejects(Promise.resolve(app.ready()), { name: 'TypeError', message: /^fastify-not-implemented: option "cacheControl.FST_METHOD_NOT_ALLOWED" must be a Cache-Control value \(visible ASCII, spaces and tabs\) or false, got "max-age=60 — one minute"$/ })
})
