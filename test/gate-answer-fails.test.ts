import { test } from 'tap'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import Fastify from 'fastify'
import notImplemented = require('..')
import { counted, tierFromHeader, tiers } from './helpers/gating'

// The gate calls a synchronous resolver directly while nobody listens on the resolver
// channel, and through the channel's timing otherwise: on either path, and for a feature
// flag, an answer that cannot be made still keeps the handler from running, with no
// unhandled rejection.

function unhandledRejections (t: { teardown: (fn: () => void) => void }): unknown[] {
  const seen: unknown[] = []
  const listener = (reason: unknown): void => { seen.push(reason) }
  process.on('unhandledRejection', listener)
  t.teardown(() => { process.off('unhandledRejection', listener) })
  return seen
}

type Options = NonNullable<Parameters<typeof notImplemented>[1]>
interface Case {
  name: string
  options: Options
  config: { tier?: string, feature?: string }
  listening: boolean
}

const cases: Case[] = [
  { name: 'an async feature flag', options: { isFeatureEnabled: async () => false }, config: { feature: 'bulk' }, listening: false },
  { name: 'an async resolver, with a resolver channel subscriber', options: { tiers, resolveTier: async (request) => tierFromHeader(request) }, config: { tier: 'plus' }, listening: true },
  { name: 'a sync resolver, with a resolver channel subscriber', options: { tiers, resolveTier: tierFromHeader }, config: { tier: 'plus' }, listening: true }
]

for (const { name, options, config, listening } of cases) {
  test(`${name}: a gate whose own answer cannot be made keeps the handler from running`, async (t) => {
    const rejections = unhandledRejections(t)
    const calls: unknown[] = []
    if (listening) {
      const listener = (message: unknown): void => { calls.push(message) }
      subscribe('fastify-not-implemented:resolver', listener)
      t.teardown(() => { unsubscribe('fastify-not-implemented:resolver', listener) })
    }
    const app = Fastify()
    const handler = counted(() => 'never')
    await app.register(notImplemented, { ...options, vary: 'Authorization' })
    // An earlier hook leaves a Vary value that cannot be read as text.
    app.get('/gated', {
      config,
      onRequest: (_request, reply, done) => {
        reply.header('vary', { toString () { throw new Error('unreadable') } })
        done()
      }
    }, async () => handler())
    const res = await app.inject({ url: '/gated', headers: { 'x-tier': 'free' } })
    t.equal(res.statusCode, 500, 'Fastify\'s own error path answers')
    t.equal(handler.calls, 0)
    t.equal(calls.length, listening ? 1 : 0, 'the resolver call is reported while someone listens')
    await new Promise((resolve) => setImmediate(resolve))
    t.same(rejections, [])
  })
}
