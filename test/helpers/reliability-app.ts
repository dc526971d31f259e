import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import notImplemented = require('../..')

// The app the cache tests put behind a shared cache: routes gated by plan and by a feature
// flag, a POST-only path (GET there is a method-level 405) and an open route. Every
// response carries the origin's sequence number, so a response served from a cache is
// recognisable by a number the client has already seen.

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

export interface PlanApp {
  app: FastifyInstance
  handlerCalls: HandlerCall[]
  // Responses the origin produced, by status.
  originStatuses: Map<number, number>
}

export async function buildPlanApp (options: PlanAppOptions): Promise<PlanApp> {
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
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, handlerCalls, originStatuses }
}

export function portOf (app: FastifyInstance): number {
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP')
  return address.port
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
    const body = { statusCode: 501, code: 'FST_TIER_REQUIRED', error: 'Not Implemented', message: `This endpoint requires the ${gated.tier} plan`, requiredTier: gated.tier }
    return { status: 501, body }
  }
  const body = { statusCode: 501, code: 'FST_FEATURE_DISABLED', error: 'Not Implemented', message: `Feature ${gated.feature as string} is not enabled`, feature: gated.feature }
  return { status: 501, body }
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
