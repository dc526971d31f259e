import { readFileSync } from 'node:fs'
import { test, type Test } from 'tap'
import { Agent, interceptors, type Dispatcher } from 'undici'
import { buildPlanApp, portOf, type PlanAppOptions } from '../helpers/reliability-app'
import { drive, summary } from '../helpers/reliability-drive'

// undici's RFC 9111 cache interceptor, as a shared cache, in front of the same gated app as
// the nginx tests. undici says nothing about hits, so a response is a hit when it repeats
// an origin sequence number already seen.

const undiciVersion = (JSON.parse(readFileSync(require.resolve('undici/package.json'), 'utf8')) as { version: string }).version

test('undici is one with the RFC 9111 cache interceptor', async (t) => {
  const [major, minor] = undiciVersion.split('.').map(Number)
  t.ok(major > 7 || (major === 7 && minor >= 29), `undici ${undiciVersion} >= 7.29`)
  t.type(interceptors.cache, 'function')
})

interface Rig {
  origin: string
  dispatcher: Dispatcher
  plan: Awaited<ReturnType<typeof buildPlanApp>>
}

async function rig (t: Test, app: PlanAppOptions): Promise<Rig> {
  const plan = await buildPlanApp(app)
  t.teardown(() => plan.app.close())
  const agent = new Agent({ connections: 16 })
  t.teardown(() => agent.close())
  const dispatcher = agent.compose(interceptors.cache({ type: 'shared' }))
  return { origin: `http://127.0.0.1:${portOf(plan.app)}`, dispatcher, plan }
}

const cacheable = {
  cacheControl: { FST_TIER_REQUIRED: 'public, max-age=60', FST_FEATURE_DISABLED: 'public, max-age=60' }
}

test('default policy: the shared cache stores none of the per-caller answers', async (t) => {
  const { origin, dispatcher, plan } = await rig(t, { source: 'authorization', successHeaders: { 'cache-control': 'private' } })
  const result = await drive({ dispatcher, origin, source: 'authorization', requests: 500, seed: 0xcac4e1 })
  t.comment(summary(`undici ${undiciVersion} shared cache, default policy, Authorization`, result))
  t.same(result.deniedEntitled, [])
  t.same(result.leakedToUnentitled, [])
  t.equal(result.fromCache, 0, 'nothing came from the cache')
  t.notOk(plan.handlerCalls.some((call) => call.plan === 'anonymous' || call.plan === 'free'), 'no handler ran for a caller below plus')
})

test('cacheable policy with vary X-Plan, with and without Authorization', async (t) => {
  const { origin, dispatcher } = await rig(t, {
    source: 'x-plan',
    plugin: { ...cacheable, vary: 'X-Plan' },
    successHeaders: { 'cache-control': 'public, max-age=60', vary: 'X-Plan' }
  })
  const result = await drive({ dispatcher, origin, source: 'x-plan', requests: 600, seed: 0xcac4e2, strayAuthorization: 0.5 })
  t.comment(summary(`undici ${undiciVersion} shared cache, public max-age=60 + Vary: X-Plan`, result))
  t.same(result.deniedEntitled, [])
  t.same(result.leakedToUnentitled, [])
  t.ok(result.cached501 > 200, `cached 501s were served (${result.cached501}), to the right plans`)
})

test('cacheable policy with vary Authorization', async (t) => {
  const { origin, dispatcher } = await rig(t, {
    source: 'authorization',
    plugin: { ...cacheable, vary: 'Authorization' },
    successHeaders: { 'cache-control': 'public, max-age=60', vary: 'Authorization' }
  })
  const result = await drive({ dispatcher, origin, source: 'authorization', requests: 600, seed: 0xcac4e3 })
  t.comment(summary(`undici ${undiciVersion} shared cache, public max-age=60 + Vary: Authorization`, result))
  t.same(result.deniedEntitled, [])
  t.same(result.leakedToUnentitled, [])
  t.ok(result.cached501 > 100, `cached 501s were served (${result.cached501})`)
})

test('the harness catches a leak: a Vary that names a header the resolver does not read', async (t) => {
  const { origin, dispatcher } = await rig(t, {
    source: 'authorization',
    plugin: { ...cacheable, vary: 'X-Plan' },
    successHeaders: { 'cache-control': 'public, max-age=60', vary: 'X-Plan' }
  })
  const result = await drive({ dispatcher, origin, source: 'authorization', requests: 300, seed: 0xcac4e4 })
  t.comment(summary(`undici ${undiciVersion} shared cache, misconfigured Vary (control)`, result))
  t.ok(result.deniedEntitled.length > 0, `entitled callers got cached 501s (${result.deniedEntitled.length})`)
  t.ok(result.leakedToUnentitled.length > 0, `unentitled callers got cached 200s (${result.leakedToUnentitled.length})`)
})

test('method-level 405 is cached for its max-age and no longer', async (t) => {
  const { origin, dispatcher, plan } = await rig(t, {
    source: 'authorization',
    plugin: { cacheControl: { FST_METHOD_NOT_ALLOWED: 'max-age=2' } },
    successHeaders: {}
  })
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
