import { test, type Test } from 'tap'
import { Agent, request } from 'undici'
import { nginxOrReport, startNginx, type CacheConfig } from '../helpers/reliability-nginx'
import { buildPlanApp, portOf, type PlanAppOptions } from '../helpers/reliability-app'
import { drive, summary } from '../helpers/reliability-drive'

// nginx (proxy_cache) in front of an app whose routes are gated by plan and by a feature flag.
// Callers on different plans are interleaved against the same URLs; no entitled caller may
// ever get a 501 and no caller without the plan or flag may get the handler's 200, whether
// the answer came from the origin or from nginx's cache. nginx stores responses to requests
// that carry Authorization like any other (it does not look at that header), so these runs
// cover requests with and without it.

const binary = nginxOrReport({
  fail: (reason) => test('nginx is required here', async (t) => { t.fail(reason) }),
  skip: (reason) => test('nginx cache tests', { skip: reason }, async () => {})
})

interface Rig {
  origin: string
  dispatcher: Agent
  plan: Awaited<ReturnType<typeof buildPlanApp>>
  errorLog: () => string
}

async function rig (t: Test, app: PlanAppOptions, cache: CacheConfig = {}): Promise<Rig> {
  const plan = await buildPlanApp(app)
  t.teardown(() => plan.app.close())
  const nginx = await startNginx(binary as string, portOf(plan.app), cache)
  t.teardown(() => nginx.stop())
  const dispatcher = new Agent({ connections: 16 })
  t.teardown(() => dispatcher.close())
  return { origin: nginx.origin, dispatcher, plan, errorLog: nginx.errorLog }
}

if (binary !== undefined) {
  test('default policy: nginx told to cache every unmarked answer stores none of the per-caller ones', async (t) => {
    const { origin, dispatcher, plan } = await rig(t, {
      source: 'authorization',
      successHeaders: { 'cache-control': 'private' }
    }, { extra: 'proxy_cache_valid any 10m;' })

    // The cache is really there: an open route is stored and served again.
    const first = await request(`${origin}/open`, { dispatcher })
    await first.body.dump()
    const second = await request(`${origin}/open`, { dispatcher })
    await second.body.dump()
    t.same([first.headers['x-cache-status'], second.headers['x-cache-status']], ['MISS', 'HIT'], 'the cache stores what may be stored')
    // nginx does not look at Authorization: a stored answer goes to a request that carries
    // one, so only Cache-Control and Vary keep per-caller answers apart.
    const withCredential = await request(`${origin}/open`, { dispatcher, headers: { authorization: 'Bearer pro-1' } })
    await withCredential.body.dump()
    t.equal(withCredential.headers['x-cache-status'], 'HIT', 'nginx serves a stored answer to a request with Authorization')

    const result = await drive({ dispatcher, origin, source: 'authorization', requests: 700, seed: 0x5eed01, cacheStatusHeader: 'x-cache-status' })
    t.comment(summary('nginx, default policy, Authorization', result))
    t.same(result.deniedEntitled, [], 'no entitled caller got anything but its own 200')
    t.same(result.leakedToUnentitled, [], 'no caller without the plan or flag got a 200')
    t.equal(result.fromCache, 0, 'nothing marked private or no-store came from the cache')
    t.same(Object.keys(result.cache), ['MISS'], 'every gated answer was a miss')
    t.same(result.inconsistent, [])
    t.notOk(plan.handlerCalls.some((call) => call.plan === 'anonymous' || call.plan === 'free'), 'no handler ran for a caller below plus')
    t.ok(result.byOutcome['501 FST_TIER_REQUIRED'] > 50 && result.byOutcome['501 FST_FEATURE_DISABLED'] > 50 && result.byOutcome['200 ok'] > 50, 'every outcome occurred')
  })

  test('cacheable policy with vary X-Plan: cached 501s reach only callers of the same plan', async (t) => {
    const { origin, dispatcher, plan } = await rig(t, {
      source: 'x-plan',
      plugin: {
        cacheControl: { FST_TIER_REQUIRED: 'public, max-age=60', FST_FEATURE_DISABLED: 'public, max-age=60' },
        vary: 'X-Plan'
      },
      successHeaders: { 'cache-control': 'public, max-age=60', vary: 'X-Plan' }
    })
    // Half the requests also carry an Authorization the app does not read: nginx caches them alike.
    const result = await drive({ dispatcher, origin, source: 'x-plan', requests: 900, seed: 0x5eed02, strayAuthorization: 0.5, cacheStatusHeader: 'x-cache-status' })
    t.comment(summary('nginx, public max-age=60 + Vary: X-Plan, with and without Authorization', result))
    t.same(result.deniedEntitled, [], 'no entitled caller got a 501 (cached or not)')
    t.same(result.leakedToUnentitled, [], 'no caller without the plan or flag got a 200 (cached or not)')
    t.same(result.inconsistent, [])
    // 5 URLs x 4 plans: 20 variants, each fetched once, give or take the requests in flight
    // together on a first miss (8 at a time); everything else is a hit.
    t.ok(result.fromOrigin >= 20 && result.fromOrigin <= 60, `the origin answered each variant about once (${result.fromOrigin})`)
    t.ok(result.cached501 > 300, `cached 501s were served (${result.cached501}), to the right plans`)
    t.notOk(plan.handlerCalls.some((call) => call.plan === 'anonymous' || call.plan === 'free'), 'no handler ran for a caller below plus')
  })

  test('cacheable policy with vary Authorization: one variant per credential', async (t) => {
    const { origin, dispatcher } = await rig(t, {
      source: 'authorization',
      plugin: {
        cacheControl: { FST_TIER_REQUIRED: 'public, max-age=60', FST_FEATURE_DISABLED: 'public, max-age=60' },
        vary: 'Authorization'
      },
      successHeaders: { 'cache-control': 'public, max-age=60', vary: 'Authorization' }
    })
    const result = await drive({ dispatcher, origin, source: 'authorization', requests: 700, seed: 0x5eed03, cacheStatusHeader: 'x-cache-status' })
    t.comment(summary('nginx, public max-age=60 + Vary: Authorization', result))
    t.same(result.deniedEntitled, [])
    t.same(result.leakedToUnentitled, [])
    t.same(result.inconsistent, [])
    // 5 URLs x 20 callers: 100 variants, give or take concurrent first misses.
    t.ok(result.fromOrigin <= 150, `the origin answered each caller's variant about once (${result.fromOrigin})`)
    t.ok(result.cached501 > 100, `cached 501s were served (${result.cached501})`)
  })

  test('the harness catches a leak: a Vary that names a header the resolver does not read', async (t) => {
    // A deliberately wrong configuration: the plan comes from Authorization, the answers
    // vary on X-Plan, which no caller sends. The checks above must see the leak here.
    const { origin, dispatcher } = await rig(t, {
      source: 'authorization',
      plugin: {
        cacheControl: { FST_TIER_REQUIRED: 'public, max-age=60', FST_FEATURE_DISABLED: 'public, max-age=60' },
        vary: 'X-Plan'
      },
      successHeaders: { 'cache-control': 'public, max-age=60', vary: 'X-Plan' }
    })
    const result = await drive({ dispatcher, origin, source: 'authorization', requests: 300, seed: 0x5eed04, cacheStatusHeader: 'x-cache-status' })
    t.comment(summary('nginx, misconfigured Vary (control)', result))
    t.ok(result.deniedEntitled.length > 0, `entitled callers got cached 501s (${result.deniedEntitled.length})`)
    t.ok(result.leakedToUnentitled.length > 0, `unentitled callers got cached 200s (${result.leakedToUnentitled.length})`)
  })

  test('method-level 405 is cached for its max-age and no longer', async (t) => {
    const { origin, dispatcher, plan } = await rig(t, {
      source: 'authorization',
      plugin: { cacheControl: { FST_METHOD_NOT_ALLOWED: 'max-age=2' } },
      successHeaders: {}
    })
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
