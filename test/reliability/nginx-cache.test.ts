import { test, type Test } from 'tap'
import { Agent, request } from 'undici'
import { nginxOrReport, startNginx, type CacheConfig } from '../helpers/nginx'
import { assertLeakCaught, assertNothingShared, buildPlanApp, dayOld, drive, privateApp, privateExpected, privateScenarios, scenarioLabel, summary, takeTurns, twoSecond405, type PlanApp, type PlanAppOptions } from '../helpers/shared-cache'

// nginx (proxy_cache) in front of an app whose routes are gated by plan and by a feature flag.
// Callers on different plans are interleaved against the same URLs; no entitled caller may
// ever get a 501 and no caller without the plan or flag may get the handler's 200, whether
// the answer came from the origin or from nginx's cache. nginx stores responses to requests
// that carry Authorization like any other (it does not look at that header), so these runs
// cover requests with and without it. Every run tells nginx to keep any answer that does
// not forbid it for ten minutes (`proxy_cache_valid any 10m`): only the answers' own
// Cache-Control keeps a per-caller answer out of the cache, and no option of the plugin
// lets it say anything that nginx would store.

const binary = nginxOrReport('nginx cache tests')

const storeEverything: CacheConfig = { extra: 'proxy_cache_valid any 10m;' }

interface Rig {
  origin: string
  dispatcher: Agent
  plan: PlanApp
}

async function rig (t: Test, app: PlanAppOptions, cache: CacheConfig = storeEverything): Promise<Rig> {
  const plan = await buildPlanApp(t, app)
  const nginx = await startNginx(binary as string, plan.port, cache)
  t.teardown(() => nginx.stop())
  const dispatcher = new Agent({ connections: 16 })
  t.teardown(() => dispatcher.close())
  return { origin: nginx.origin, dispatcher, plan }
}

// The cache is really there: an open route is stored and served again, to a request with
// Authorization too (nginx does not look at it).
async function cacheIsOn (t: Test, { origin, dispatcher }: Rig, lastModified?: string): Promise<void> {
  const seen = []
  for (const headers of [{}, {}, { authorization: 'Bearer pro-1' }]) {
    const response = await request(`${origin}/open`, { dispatcher, headers })
    t.equal(response.statusCode, 200)
    t.same(await response.body.json(), { open: true })
    t.equal(response.headers['last-modified'], lastModified)
    seen.push(response.headers['x-cache-status'])
  }
  t.same(seen, ['MISS', 'HIT', 'HIT'], 'the cache stores what may be stored, and serves it to a request with Authorization')
}

if (binary !== undefined) {
  test('default policy: nginx told to cache every unmarked answer stores none of the per-caller ones', async (t) => {
    const setup = await rig(t, { source: 'authorization', successHeaders: { 'cache-control': 'private' } })
    const { origin, dispatcher, plan } = setup
    await cacheIsOn(t, setup)
    await takeTurns(t, setup, 'authorization', { policy: 'private, no-store', success: 'private' }, 'x-cache-status')

    const result = await drive({ dispatcher, origin, source: 'authorization', requests: 700, seed: 0x5eed01, cacheStatusHeader: 'x-cache-status' })
    t.comment(summary('nginx, default policy, Authorization', result))
    assertNothingShared(t, result, plan, 700)
    t.same(result.cache, { MISS: 700 }, 'every gated answer was a miss')
    t.ok(result.byOutcome['501 FST_TIER_REQUIRED'] > 50 && result.byOutcome['501 FST_FEATURE_DISABLED'] > 50 && result.byOutcome['200 ok'] > 50, 'every outcome occurred')
  })

  test('default policy with Last-Modified on every response: no per-caller 501 is stored', async (t) => {
    const lastModified = dayOld()
    const setup = await rig(t, { source: 'x-plan', successHeaders: { 'cache-control': 'private' }, lastModified })
    const { origin, dispatcher, plan } = setup
    await cacheIsOn(t, setup, lastModified)
    await takeTurns(t, setup, 'x-plan', { policy: 'private, no-store', success: 'private', lastModified }, 'x-cache-status')

    // Half the requests also carry an Authorization the app does not read: nginx caches them alike.
    const result = await drive({ dispatcher, origin, source: 'x-plan', requests: 700, seed: 0x5eed02, strayAuthorization: 0.5, cacheStatusHeader: 'x-cache-status' })
    t.comment(summary('nginx, default policy, X-Plan, Last-Modified on every response', result))
    assertNothingShared(t, result, plan, 700)
    t.same(result.cache, { MISS: 700 })
  })

  for (const [index, scenario] of privateScenarios.entries()) {
    test(`private policy ${scenarioLabel(scenario)}, Last-Modified on every response: no per-caller answer is stored`, async (t) => {
      const lastModified = dayOld()
      const setup = await rig(t, privateApp(scenario, { lastModified }))
      const { origin, dispatcher, plan } = setup
      await cacheIsOn(t, setup, lastModified)
      await takeTurns(t, setup, scenario.source, privateExpected(scenario, lastModified), 'x-cache-status')

      const result = await drive({
        dispatcher,
        origin,
        source: scenario.source,
        requests: 400,
        seed: 0x5eed10 + index,
        strayAuthorization: scenario.source === 'x-plan' ? 0.5 : 0,
        cacheStatusHeader: 'x-cache-status'
      })
      t.comment(summary(`nginx, ${scenarioLabel(scenario)}`, result))
      assertNothingShared(t, result, plan, 400)
      t.same(result.cache, { MISS: 400 })
    })
  }

  test('the harness catches a leak: a hook rewrites the per-caller answers to public, max-age=60', async (t) => {
    // Built without the plugin's help, which refuses such a policy: the app's own onSend
    // hook overwrites the Cache-Control the plugin set. The checks above must see the leak.
    const { origin, dispatcher } = await rig(t, {
      source: 'authorization',
      successHeaders: { 'cache-control': 'private' },
      perCallerCacheControlOverride: 'public, max-age=60'
    })
    const result = await drive({ dispatcher, origin, source: 'authorization', requests: 300, seed: 0x5eed04, cacheStatusHeader: 'x-cache-status' })
    t.comment(summary('nginx, per-caller answers rewritten to public, max-age=60 (control)', result))
    assertLeakCaught(t, result)
    t.ok((result.cache.HIT ?? 0) > 0, `X-Cache-Status said HIT (${result.cache.HIT ?? 0})`)
    t.same(result.inconsistent, [])
  })

  test('the harness catches a leak: a hook strips the per-caller answers\' Cache-Control', async (t) => {
    // What `cacheControl: false` on a per-caller outcome used to send: nothing that stops
    // nginx, which then keeps the answer for its configured ten minutes.
    const lastModified = dayOld()
    const { origin, dispatcher } = await rig(t, {
      source: 'x-plan',
      successHeaders: { 'cache-control': 'private' },
      lastModified,
      perCallerCacheControlOverride: false
    })
    const result = await drive({ dispatcher, origin, source: 'x-plan', requests: 300, seed: 0x5eed05, cacheStatusHeader: 'x-cache-status' })
    t.comment(summary('nginx, per-caller answers without Cache-Control (control)', result))
    assertLeakCaught(t, result)
    t.same(result.inconsistent, [])
  })

  test('method-level 405 is cached for its max-age and no longer', async (t) => {
    const { origin, dispatcher, plan } = await rig(t, twoSecond405, {})
    const statuses: string[] = []
    async function get (): Promise<void> {
      const response = await request(`${origin}/items`, { dispatcher, headers: { authorization: 'Bearer free-1' } })
      const body = await response.body.json() as { code: string, allow: string[] }
      t.equal(response.statusCode, 405)
      t.equal(body.code, 'FST_METHOD_NOT_ALLOWED')
      t.equal(response.headers.allow, 'POST, OPTIONS')
      t.equal(response.headers['cache-control'], 'max-age=2')
      statuses.push(String(response.headers['x-cache-status']))
    }
    const start = Date.now()
    await get()
    for (let i = 0; i < 20; i++) await get()
    t.ok(Date.now() - start < 1500, 'the first 21 requests fit well inside max-age')
    t.same(statuses, ['MISS', ...Array(20).fill('HIT')], 'one origin answer, then hits')
    t.equal(plan.originStatuses.get(405), 1, 'the origin answered the 405 once')

    // nginx counts in whole seconds: max-age=2 is stale by the third second at the latest.
    let after = ''
    const deadline = start + 3600
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      const response = await request(`${origin}/items`, { dispatcher })
      await response.body.dump()
      after = String(response.headers['x-cache-status'])
      if (after !== 'HIT') {
        t.ok(Date.now() - start >= 2000, `not refetched before max-age ran out (${Date.now() - start} ms)`)
        break
      }
    }
    t.equal(after, 'EXPIRED', 'the stored 405 expired and was fetched again')
    t.equal(plan.originStatuses.get(405), 2, 'the origin answered it a second time')
    const again = await request(`${origin}/items`, { dispatcher })
    await again.body.dump()
    t.equal(again.headers['x-cache-status'], 'HIT', 'and the fresh copy is served from the cache again')
  })
}
