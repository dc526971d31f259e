import { readFileSync } from 'node:fs'
import { test, type Test } from 'tap'
import { Agent, interceptors, type Dispatcher } from 'undici'
import { assertLeakCaught, assertNothingShared, buildPlanApp, dayOld, drive, privateApp, privateExpected, privateScenarios, scenarioLabel, summary, takeTurns, twoSecond405, type PlanApp, type PlanAppOptions, type PlanSource } from '../helpers/shared-cache'

// undici's RFC 9111 cache interceptor, as a shared cache, in front of the same gated app as
// the nginx tests. undici says nothing about hits, so a response is a hit when it repeats
// an origin sequence number already seen. Unlike nginx, undici reads Cache-Control the way
// RFC 9111 does: it stores an answer that says `private="x-debug"` (a qualified private)
// and computes a freshness from Last-Modified for one with no Cache-Control at all, which
// is why the plugin refuses both for the per-caller outcomes.

const undiciVersion = (JSON.parse(readFileSync(require.resolve('undici/package.json'), 'utf8')) as { version: string }).version

test('undici is one with the RFC 9111 cache interceptor', async (t) => {
  const [major, minor] = undiciVersion.split('.').map(Number)
  t.ok(major > 7 || (major === 7 && minor >= 29), `undici ${undiciVersion} >= 7.29`)
  t.type(interceptors.cache, 'function')
})

interface Rig {
  origin: string
  dispatcher: Dispatcher
  plan: PlanApp
}

async function rig (t: Test, app: PlanAppOptions): Promise<Rig> {
  const plan = await buildPlanApp(t, app)
  const agent = new Agent({ connections: 16 })
  t.teardown(() => agent.close())
  const dispatcher = agent.compose(interceptors.cache({ type: 'shared' }))
  return { origin: plan.origin, dispatcher, plan }
}

test('default policy: the shared cache stores none of the per-caller answers', async (t) => {
  const setup = await rig(t, { source: 'authorization', successHeaders: { 'cache-control': 'private' } })
  const { origin, dispatcher, plan } = setup
  await takeTurns(t, setup, 'authorization', { policy: 'private, no-store', success: 'private' })
  const result = await drive({ dispatcher, origin, source: 'authorization', requests: 500, seed: 0xcac4e1 })
  t.comment(summary(`undici ${undiciVersion} shared cache, default policy, Authorization`, result))
  assertNothingShared(t, result, plan, 500)
})

test('default policy with Last-Modified on every response: no per-caller 501 is stored', async (t) => {
  // The plan comes from X-Plan and no request carries Authorization, which alone would keep
  // undici from storing: only the answers' Cache-Control stands between them and the cache.
  const lastModified = dayOld()
  const setup = await rig(t, { source: 'x-plan', successHeaders: { 'cache-control': 'private' }, lastModified })
  const { origin, dispatcher, plan } = setup
  await takeTurns(t, setup, 'x-plan', { policy: 'private, no-store', success: 'private', lastModified })
  const result = await drive({ dispatcher, origin, source: 'x-plan', requests: 500, seed: 0xcac4e2 })
  t.comment(summary(`undici ${undiciVersion} shared cache, default policy, X-Plan, Last-Modified on every response`, result))
  assertNothingShared(t, result, plan, 500)
})

for (const [index, scenario] of privateScenarios.entries()) {
  test(`private policy ${scenarioLabel(scenario)}, Last-Modified on every response: no per-caller answer is stored`, async (t) => {
    const lastModified = dayOld()
    const setup = await rig(t, privateApp(scenario, { lastModified }))
    const { origin, dispatcher, plan } = setup
    await takeTurns(t, setup, scenario.source, privateExpected(scenario, lastModified))
    const result = await drive({ dispatcher, origin, source: scenario.source, requests: 400, seed: 0xcac4f0 + index })
    t.comment(summary(`undici ${undiciVersion} shared cache, ${scenarioLabel(scenario)}`, result))
    assertNothingShared(t, result, plan, 400)
  })
}

// The controls: leaking variants built without the plugin's help (it refuses every one of
// these policies), by an onSend hook of the app that rewrites the per-caller answers'
// Cache-Control after the plugin set it. The checks above must see each leak.
const leaks: Array<{ name: string, override: string | false, source: PlanSource, lastModified?: boolean }> = [
  { name: 'public, max-age=60', override: 'public, max-age=60', source: 'authorization' },
  // A qualified private only keeps the named header out of a shared cache (RFC 9111 §5.2.2.7).
  { name: 'private="x-debug", max-age=60', override: 'private="x-debug", max-age=60', source: 'x-plan' },
  // No Cache-Control, and a Last-Modified: a shared cache computes a freshness of its own.
  { name: 'no Cache-Control, Last-Modified a day old', override: false, source: 'x-plan', lastModified: true }
]

for (const [index, leak] of leaks.entries()) {
  test(`the harness catches a leak: a hook rewrites the per-caller answers to ${leak.name}`, async (t) => {
    const { origin, dispatcher } = await rig(t, {
      source: leak.source,
      successHeaders: { 'cache-control': 'private' },
      perCallerCacheControlOverride: leak.override,
      ...(leak.lastModified === true ? { lastModified: dayOld() } : {})
    })
    const result = await drive({ dispatcher, origin, source: leak.source, requests: 300, seed: 0xcac4e4 + index })
    t.comment(summary(`undici ${undiciVersion} shared cache, per-caller answers rewritten to ${leak.name} (control)`, result))
    assertLeakCaught(t, result)
  })
}

test('method-level 405 is cached for its max-age and no longer', async (t) => {
  const { origin, dispatcher, plan } = await rig(t, twoSecond405)
  const sequences: string[] = []
  async function get (): Promise<void> {
    const response = await dispatcher.request({ origin, path: '/items', method: 'GET' })
    const body = await response.body.json() as { code: string }
    t.equal(response.statusCode, 405)
    t.equal(body.code, 'FST_METHOD_NOT_ALLOWED')
    t.equal(response.headers.allow, 'POST, OPTIONS')
    sequences.push(String(response.headers['x-origin-seq']))
  }
  await get()
  // Freshness counts from when the cache received the answer.
  const stored = Date.now()
  for (let i = 0; i < 9; i++) await get()
  t.ok(Date.now() - stored < 1500, 'inside max-age')
  t.equal(new Set(sequences).size, 1, 'one origin answer, then hits')
  t.equal(plan.originStatuses.get(405), 1)
  await new Promise((resolve) => setTimeout(resolve, 2100 - (Date.now() - stored)))
  await get()
  await get()
  t.equal(new Set(sequences).size, 2, 'stale after max-age: fetched once more, then served from the cache again')
  t.equal(plan.originStatuses.get(405), 2)
})

test('unlike nginx, undici\'s shared cache does not store an answer to a request with Authorization', async (t) => {
  const { origin, dispatcher } = await rig(t, { source: 'authorization', successHeaders: {} })
  const sequences = async (headers: Record<string, string>): Promise<string[]> => {
    const seen = []
    for (let i = 0; i < 3; i++) {
      const response = await dispatcher.request({ origin, path: '/open', method: 'GET', headers })
      await response.body.dump()
      seen.push(String(response.headers['x-origin-seq']))
    }
    return seen
  }
  // /open says max-age=60 (not public): stored for plain requests only.
  t.equal(new Set(await sequences({ authorization: 'Bearer pro-1' })).size, 3, 'with Authorization: every request reached the origin')
  t.equal(new Set(await sequences({})).size, 1, 'without: one origin answer, then hits')
})
