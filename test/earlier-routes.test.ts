import { test } from 'tap'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import cors from '@fastify/cors'
import notImplemented = require('..')

// A `register()` that is not awaited lets routes declared right after it in before the
// plugin loads: they escape its onRoute hook, so the plugin says so at start-up.
function capture () {
  const messages: string[] = []
  const stream = new Writable({
    write (chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line !== '') messages.push(JSON.parse(line).msg)
      callback()
    }
  })
  return { messages, stream }
}

test('routes declared before the plugin loaded: one warning naming them, and they are not gated', async (t) => {
  const { messages, stream } = capture()
  const app = Fastify({ logger: { level: 'warn', stream } })
  app.register(notImplemented, { tiers: ['free', 'plus'], resolveTier: () => 'free' })
  app.get('/reports', { config: { tier: 'plus' } }, async () => ({ leaked: true }))
  t.teardown(() => app.close())
  await app.ready()
  const warnings = messages.filter((m) => m.startsWith('fastify-not-implemented'))
  t.equal(warnings.length, 1)
  t.match(warnings[0], /1 route\(s\) were registered before the plugin loaded/)
  t.match(warnings[0], /\/reports \(GET, HEAD\)/)
  t.match(warnings[0], /`await`/)
  const res = await app.inject({ method: 'GET', url: '/reports' })
  t.equal(res.statusCode, 200, 'the documented hazard the warning is about')
})

test('no warning when the plugin is awaited first, nor for a catch-all registered before it', async (t) => {
  const { messages, stream } = capture()
  const app = Fastify({ logger: { level: 'warn', stream } })
  await app.register(cors)
  await app.register(notImplemented, { tiers: ['free', 'plus'], resolveTier: () => 'free' })
  app.get('/reports', { config: { tier: 'plus' } }, async () => ({}))
  t.teardown(() => app.close())
  await app.ready()
  t.same(messages.filter((m) => m.startsWith('fastify-not-implemented')), [])
  t.equal((await app.inject({ method: 'GET', url: '/reports' })).statusCode, 501)
})
