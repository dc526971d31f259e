import type { Test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Dispatcher } from 'undici'
import notImplemented = require('../..')
import { featureDisabledBody, tierRequiredBody } from './bodies'
import { listen, type Address, type Teardown } from './http'

// The shared-cache tests (nginx, undici): an app whose routes are gated by plan and by a
// feature flag, callers on every plan, a driver that interleaves them through a cache, and
// the judge of every answer. Every response carries the origin's sequence number, so a
// response served from a cache is recognisable by a number the client has already seen.

export const tiers = ['free', 'plus', 'pro'] as const
export type Plan = typeof tiers[number] | 'anonymous'
export const plans: readonly Plan[] = ['anonymous', 'free', 'plus', 'pro']

// Where the app reads the caller's plan: a bearer token (`Bearer plus-7`) or a header an
// authenticating gateway in front sets (`X-Plan: plus`).
export type PlanSource = 'authorization' | 'x-plan'

export interface GatedUrl {
  url: string
  // The route that answers it.
  route: string
  tier?: typeof tiers[number]
  feature?: string
}

export const gatedUrls: readonly GatedUrl[] = [
  { url: '/reports/1', route: '/reports/:id', tier: 'plus' },
  { url: '/reports/2', route: '/reports/:id', tier: 'plus' },
  { url: '/exports', route: '/exports', tier: 'pro' },
  { url: '/beta', route: '/beta', feature: 'beta' },
  { url: '/beta-reports', route: '/beta-reports', tier: 'plus', feature: 'beta' }
]

// The flag source: the beta is on for the pro plan only.
export function featureOn (feature: string, plan: Plan): boolean {
  return feature === 'beta' && plan === 'pro'
}

function rank (plan: Plan): number {
  return plan === 'anonymous' ? -1 : tiers.indexOf(plan)
}

export function entitled (plan: Plan, gated: GatedUrl): boolean {
  if (gated.tier !== undefined && rank(plan) < tiers.indexOf(gated.tier)) return false
  if (gated.feature !== undefined && !featureOn(gated.feature, plan)) return false
  return true
}

export interface Caller {
  plan: Plan
  id: string
  headers: Record<string, string>
}

// `perPlan` callers on each plan; anonymous callers send no credential at all.
export function callers (source: PlanSource, perPlan: number): Caller[] {
  const list: Caller[] = []
  for (const plan of plans) {
    for (let i = 0; i < perPlan; i++) {
      const id = `${plan}-${i}`
      const headers: Record<string, string> = {}
      if (plan !== 'anonymous') {
        if (source === 'authorization') headers.authorization = `Bearer ${id}`
        else headers['x-plan'] = plan
      }
      list.push({ plan, id, headers })
    }
  }
  return list
}

export function planOf (request: FastifyRequest, source: PlanSource): Plan {
  if (source === 'x-plan') {
    const value = request.headers['x-plan']
    return typeof value === 'string' && (tiers as readonly string[]).includes(value) ? value as Plan : 'anonymous'
  }
  const match = /^Bearer (free|plus|pro)-\d+$/.exec(request.headers.authorization ?? '')
  return match === null ? 'anonymous' : match[1] as Plan
}

export interface PlanAppOptions {
  source: PlanSource
  plugin?: Record<string, unknown>
  // Headers the gated routes' own 200s carry (the app's policy for its per-caller content).
  successHeaders: Record<string, string>
  // Every response, the plugin's answers included, carries this Last-Modified, as when an
  // app or a framework layer stamps it on everything: a cache may then compute a freshness
  // of its own (RFC 9111 §4.2.2) for an answer that has no Cache-Control.
  lastModified?: string
  // For the controls only: rewrites the Cache-Control of the per-caller answers
  // (FST_TIER_REQUIRED, FST_FEATURE_DISABLED) after the plugin has set it, the way a
  // careless hook or proxy rule could; `false` removes it. No option of the plugin can do
  // this, so it is how a test builds the leak the harness must catch.
  perCallerCacheControlOverride?: string | false
}

// A Last-Modified a day in the past: a heuristic freshness of about 2.4 hours.
export function dayOld (): string {
  return new Date(Date.now() - 24 * 60 * 60 * 1000).toUTCString()
}

const perCallerBody = /"code":"(FST_TIER_REQUIRED|FST_FEATURE_DISABLED)"/

// Per-caller policies the plugin accepts besides its default, each the way an app that
// wants browsers (private caches) to keep the refusal a while might set it. The same
// policy goes on the three per-caller outcomes; the gated routes' own 200s say
// `private, max-age=60` with the same Vary. No shared cache may store any of them.
export interface PrivateScenario {
  policy: string
  vary?: string
  source: PlanSource
}

export const privateScenarios: readonly PrivateScenario[] = [
  { policy: 'private, max-age=60', vary: 'X-Plan', source: 'x-plan' },
  { policy: 'private, max-age=60', vary: 'Authorization', source: 'authorization' },
  { policy: 'no-store', vary: 'X-Plan', source: 'x-plan' },
  { policy: 'PRIVATE, no-cache', source: 'x-plan' }
]

// The per-caller outcomes keep their default policy; the method-level 405 may be stored for
// two seconds.
export const twoSecond405: PlanAppOptions = {
  source: 'authorization',
  plugin: { cacheControl: { FST_METHOD_NOT_ALLOWED: 'max-age=2' } },
  successHeaders: {}
}

// What `takeTurns` expects of an app `privateApp` built.
export function privateExpected (scenario: PrivateScenario, lastModified?: string): TurnsExpected {
  return { policy: scenario.policy, vary: scenario.vary, success: 'private, max-age=60', lastModified }
}

export function scenarioLabel ({ policy, vary, source }: PrivateScenario): string {
  return `${JSON.stringify(policy)}${vary === undefined ? '' : ` + vary ${vary}`}, plan from ${source}`
}

export function privateApp (scenario: PrivateScenario, extra: Partial<PlanAppOptions> = {}): PlanAppOptions {
  const { policy, vary, source } = scenario
  return {
    source,
    plugin: {
      cacheControl: { FST_TIER_REQUIRED: policy, FST_FEATURE_DISABLED: policy, FST_TIER_UNAVAILABLE: policy },
      ...(vary === undefined ? {} : { vary })
    },
    successHeaders: { 'cache-control': 'private, max-age=60', ...(vary === undefined ? {} : { vary }) },
    ...extra
  }
}

export interface HandlerCall {
  url: string
  plan: Plan
}

export interface PlanApp extends Address {
  app: FastifyInstance
  handlerCalls: HandlerCall[]
  // Responses the origin produced, by status.
  originStatuses: Map<number, number>
}

// The app: routes gated by plan and by a feature flag, a POST-only path (GET there is a
// method-level 405) and an open route, listening until the test ends.
export async function buildPlanApp (t: Teardown, options: PlanAppOptions): Promise<PlanApp> {
  const app = Fastify()
  const handlerCalls: HandlerCall[] = []
  const originStatuses = new Map<number, number>()
  let sequence = 0
  await app.register(notImplemented, {
    tiers,
    resolveTier: (request: FastifyRequest) => {
      const plan = planOf(request, options.source)
      return plan === 'anonymous' ? undefined : plan
    },
    isFeatureEnabled: (feature: string, request: FastifyRequest) => featureOn(feature, planOf(request, options.source)),
    logLevel: 'silent',
    ...options.plugin
  })
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-origin-seq', String(++sequence))
    originStatuses.set(reply.statusCode, (originStatuses.get(reply.statusCode) ?? 0) + 1)
    if (options.lastModified !== undefined) reply.header('last-modified', options.lastModified)
    const override = options.perCallerCacheControlOverride
    if (override !== undefined && typeof payload === 'string' && perCallerBody.test(payload)) {
      if (override === false) reply.removeHeader('cache-control')
      else reply.header('cache-control', override)
    }
  })
  const routes = new Map(gatedUrls.map((gated) => [gated.route, gated]))
  for (const gated of routes.values()) {
    app.get(gated.route, { config: { tier: gated.tier, feature: gated.feature } }, async (request, reply) => {
      const plan = planOf(request, options.source)
      handlerCalls.push({ url: request.url, plan })
      reply.headers(options.successHeaders)
      const caller = options.source === 'authorization' ? request.headers.authorization : request.headers['x-plan']
      return { url: request.url, plan, caller: caller ?? null }
    })
  }
  app.post('/items', async () => ({ created: true }))
  app.get('/open', async (_request, reply) => {
    reply.header('cache-control', 'max-age=60')
    return { open: true }
  })
  return { app, handlerCalls, originStatuses, ...await listen(t, app) }
}

// A small seeded generator (mulberry32), so an interleaving is the same on every run.
export function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface Tally {
  requests: number
  // By cache status (X-Cache-Status from nginx, or HIT/MISS from the origin's sequence).
  cache: Record<string, number>
  byOutcome: Record<string, number>
  // Responses an entitled caller got that were not its own 200 (a 501 above all).
  deniedEntitled: string[]
  // Responses a caller without the plan or flag got that were not a 501.
  leakedToUnentitled: string[]
}

export function newTally (): Tally {
  return { requests: 0, cache: {}, byOutcome: {}, deniedEntitled: [], leakedToUnentitled: [] }
}

export interface Observed {
  status: number
  body: { code?: string, plan?: string, caller?: string | null, url?: string }
  cacheStatus: string
}

// Checks one response to one caller against what that caller is entitled to, and counts it.
export function judge (tally: Tally, caller: Caller, gated: GatedUrl, seen: Observed, source: PlanSource): void {
  tally.requests++
  tally.cache[seen.cacheStatus] = (tally.cache[seen.cacheStatus] ?? 0) + 1
  const outcome = `${seen.status} ${seen.body.code ?? 'ok'}`
  tally.byOutcome[outcome] = (tally.byOutcome[outcome] ?? 0) + 1
  const line = `${caller.id} GET ${gated.url} -> ${outcome} (${seen.cacheStatus})`
  if (entitled(caller.plan, gated)) {
    const own = source === 'authorization' ? caller.headers.authorization : caller.headers['x-plan']
    if (seen.status !== 200 || seen.body.plan !== caller.plan || seen.body.caller !== (own ?? null)) tally.deniedEntitled.push(line)
  } else {
    const tierTooLow = gated.tier !== undefined && !entitled(caller.plan, { url: gated.url, route: gated.route, tier: gated.tier })
    const expected = tierTooLow ? 'FST_TIER_REQUIRED' : 'FST_FEATURE_DISABLED'
    if (seen.status !== 501 || seen.body.code !== expected) tally.leakedToUnentitled.push(line)
  }
}

// The exact status and body a caller must get at a gated URL, whoever answered.
export function expectedAnswer (caller: Caller, gated: GatedUrl, source: PlanSource): { status: number, body: Record<string, unknown> } {
  if (entitled(caller.plan, gated)) {
    const own = source === 'authorization' ? caller.headers.authorization : caller.headers['x-plan']
    return { status: 200, body: { url: gated.url, plan: caller.plan, caller: own ?? null } }
  }
  if (gated.tier !== undefined && !entitled(caller.plan, { url: gated.url, route: gated.route, tier: gated.tier })) {
    return { status: 501, body: tierRequiredBody(gated.tier) }
  }
  return { status: 501, body: featureDisabledBody(gated.feature as string) }
}

// A short, fixed sequence in which callers of different plans take turns at the same URLs,
// each URL first asked by a caller who gets the refusal: what a cache stored from that
// first answer, the next caller would get.
export function turns (source: PlanSource): Array<{ caller: Caller, gated: GatedUrl }> {
  const one = new Map(callers(source, 1).map((caller) => [caller.plan, caller]))
  const at = (url: string): GatedUrl => gatedUrls.find((gated) => gated.url === url) as GatedUrl
  const order: Array<[Plan, string]> = [
    ['free', '/reports/1'], ['plus', '/reports/1'], ['anonymous', '/reports/1'], ['pro', '/reports/1'], ['free', '/reports/1'],
    ['plus', '/exports'], ['pro', '/exports'], ['plus', '/exports'],
    ['plus', '/beta'], ['pro', '/beta'], ['free', '/beta'],
    ['plus', '/beta-reports'], ['free', '/beta-reports'], ['pro', '/beta-reports'], ['plus', '/beta-reports']
  ]
  return order.map(([plan, url]) => ({ caller: one.get(plan) as Caller, gated: at(url) }))
}

// Drives interleaved callers on different plans against the gated URLs through a cache,
// and judges every response against what its caller is entitled to.

export interface DriveOptions {
  dispatcher: Dispatcher
  origin: string
  source: PlanSource
  requests: number
  seed: number
  concurrency?: number
  // Adds an Authorization header the app ignores to this share of requests (0..1).
  strayAuthorization?: number
  // The header in which the cache says what it did (nginx: X-Cache-Status).
  cacheStatusHeader?: string
}

export interface DriveResult extends Tally {
  // Responses that came from the origin (distinct sequence numbers) and from the cache.
  fromOrigin: number
  fromCache: number
  // 501s served from the cache (to callers of the same plan, or the run fails).
  cached501: number
  // Where the cache's own word disagrees with the origin's sequence numbers.
  inconsistent: string[]
}

export async function drive (options: DriveOptions): Promise<DriveResult> {
  const random = seeded(options.seed)
  const people = callers(options.source, 5)
  const plan: Array<{ caller: Caller, gated: GatedUrl, headers: Record<string, string> }> = []
  for (let i = 0; i < options.requests; i++) {
    const caller = people[Math.floor(random() * people.length)]
    const gated = gatedUrls[Math.floor(random() * gatedUrls.length)]
    const headers = { ...caller.headers }
    if (random() < (options.strayAuthorization ?? 0)) headers.authorization = `Bearer stray-${i}`
    plan.push({ caller, gated, headers })
  }
  const tally = newTally()
  const bySequence = new Map<string, { status: number, cacheStatuses: string[] }>()
  let next = 0
  async function worker (): Promise<void> {
    while (next < plan.length) {
      const { caller, gated, headers } = plan[next++]
      const response = await options.dispatcher.request({ origin: options.origin, path: gated.url, method: 'GET', headers })
      const text = await response.body.text()
      const sequence = String(response.headers['x-origin-seq'])
      const header = options.cacheStatusHeader === undefined ? undefined : response.headers[options.cacheStatusHeader]
      const cacheStatus = typeof header === 'string' ? header : 'n/a'
      const group = bySequence.get(sequence) ?? { status: response.statusCode, cacheStatuses: [] }
      group.cacheStatuses.push(cacheStatus)
      bySequence.set(sequence, group)
      let body = {}
      try {
        body = JSON.parse(text)
      } catch {}
      judge(tally, caller, gated, { status: response.statusCode, body, cacheStatus }, options.source)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker))

  const result: DriveResult = { ...tally, fromOrigin: bySequence.size, fromCache: tally.requests - bySequence.size, cached501: 0, inconsistent: [] }
  for (const [sequence, group] of bySequence) {
    if (group.status === 501) result.cached501 += group.cacheStatuses.length - 1
    if (options.cacheStatusHeader === undefined) continue
    // One response per origin answer came from the origin; every other copy is a hit.
    const hits = group.cacheStatuses.filter((status) => status === 'HIT').length
    if (hits !== group.cacheStatuses.length - 1) result.inconsistent.push(`origin answer ${sequence}: ${group.cacheStatuses.join(', ')}`)
  }
  return result
}

// One line for the test output with every figure of a run.
export function summary (name: string, result: DriveResult): string {
  return `${name}: ${result.requests} requests, ${result.fromOrigin} from the origin, ${result.fromCache} from the cache ` +
    `(${result.cached501} of them 501s); cache statuses ${JSON.stringify(result.cache)}; outcomes ${JSON.stringify(result.byOutcome)}; ` +
    `entitled callers denied ${result.deniedEntitled.length}; unentitled callers served ${result.leakedToUnentitled.length}`
}

export interface TurnsExpected {
  // The Cache-Control of the per-caller 501s, and of the gated routes' own 200s.
  policy: string
  success: string
  vary?: string
  lastModified?: string
}

// Callers of different plans take turns at the same URLs (see `turns`): each gets its own
// answer with exactly the headers its outcome carries, every one from the origin. With
// `cacheStatusHeader`, the cache's own word must say so too (a MISS each time).
export async function takeTurns (t: Test, { origin, dispatcher }: { origin: string, dispatcher: Dispatcher }, source: PlanSource, expected: TurnsExpected, cacheStatusHeader?: string): Promise<void> {
  const sequences = new Set<string>()
  for (const { caller, gated } of turns(source)) {
    const name = `${caller.id} GET ${gated.url}`
    const response = await dispatcher.request({ origin, path: gated.url, method: 'GET', headers: caller.headers })
    const want = expectedAnswer(caller, gated, source)
    t.equal(response.statusCode, want.status, name)
    t.same(await response.body.json(), want.body, name)
    t.equal(response.headers['cache-control'], want.status === 501 ? expected.policy : expected.success, `${name}: Cache-Control`)
    t.equal(response.headers.vary, expected.vary, `${name}: Vary`)
    t.equal(response.headers['last-modified'], expected.lastModified, `${name}: Last-Modified`)
    if (cacheStatusHeader !== undefined) t.equal(response.headers[cacheStatusHeader], 'MISS', `${name}: not from the cache`)
    sequences.add(String(response.headers['x-origin-seq']))
  }
  t.equal(sequences.size, turns(source).length, 'every answer came from the origin')
}

// What a run through a cache in front of a correct policy shows: every caller got its own
// answer, none came from the cache, and no handler ran for a caller below plus.
export function assertNothingShared (t: Test, result: DriveResult, plan: PlanApp, requests: number): void {
  t.equal(result.requests, requests)
  t.same(result.deniedEntitled, [], 'no entitled caller got anything but its own 200')
  t.same(result.leakedToUnentitled, [], 'no caller without the plan or flag got a 200')
  t.equal(result.fromCache, 0, 'nothing came from the cache')
  t.same(result.inconsistent, [])
  t.notOk(plan.handlerCalls.some((call) => call.plan === 'anonymous' || call.plan === 'free'), 'no handler ran for a caller below plus')
}

// What a control run (a policy rewritten to leak) must show: the cache served stored 501s,
// some of them to callers entitled to the 200.
export function assertLeakCaught (t: Test, result: DriveResult): void {
  t.ok(result.cached501 > 0, `the cache served stored 501s (${result.cached501})`)
  t.ok(result.deniedEntitled.length > 0, `entitled callers got another caller's 501 (${result.deniedEntitled.length})`)
}
