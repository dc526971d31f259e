import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('../..')
import { counted, holdEventLoop, tiers } from '../helpers/gating'

// 0.1.0: a thenable that resolves with another promise escaped `resolverTimeout`: the
// timer was cleared when the thenable called back, not when its value settled.
const later = (ms: number, value: string): Promise<string> => new Promise((resolve) => setTimeout(resolve, ms, value))

const thenables: Array<[string, () => PromiseLike<string>]> = [
  ['resolves with a promise that settles after 1.5 s', () => ({ then (resolve: (value: unknown) => void) { resolve(later(1500, 'plus')) } }) as unknown as PromiseLike<string>],
  ['resolves with a promise that never settles', () => ({ then (resolve: (value: unknown) => void) { resolve(new Promise(() => {})) } }) as unknown as PromiseLike<string>],
  ['resolves with a thenable that resolves with a slow promise', () => ({ then (resolve: (value: unknown) => void) { resolve({ then (inner: (value: unknown) => void) { inner(later(1500, 'plus')) } }) } }) as unknown as PromiseLike<string>],
  ['is an async function awaiting a slow promise', async () => await later(1500, 'plus')]
]

for (const [label, resolveTier] of thenables) {
  test(`a resolver that ${label} is cut off at resolverTimeout`, async (t) => {
    holdEventLoop(t)
    const app = Fastify()
    const handler = counted(() => 'never')
    // A thenable is what a resolver may return; the types ask for a promise.
    await app.register(notImplemented, { tiers, resolveTier: resolveTier as () => Promise<string>, resolverTimeout: 200 })
    app.get('/plus', { config: { tier: 'plus' } }, async () => handler())
    const started = Date.now()
    const res = await app.inject({ url: '/plus' })
    const took = Date.now() - started
    t.equal(res.statusCode, 503)
    t.equal(res.json().code, 'FST_TIER_UNAVAILABLE')
    t.ok(took >= 190 && took < 1000, `answered after ${took} ms`)
    t.equal(handler.calls, 0)
  })
}

test('a thenable that resolves with a promise settling in time is followed', async (t) => {
  const app = Fastify()
  await app.register(notImplemented, {
    tiers,
    resolverTimeout: 500,
    resolveTier: () => ({ then (resolve: (value: unknown) => void) { resolve(later(20, 'plus')) } }) as unknown as Promise<string>
  })
  app.get('/plus', { config: { tier: 'plus' } }, async () => 'in')
  t.equal((await app.inject({ url: '/plus' })).body, 'in')
})
