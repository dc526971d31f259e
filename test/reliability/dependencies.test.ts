import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { test, type Test } from 'tap'
import Fastify, { type FastifyRequest } from 'fastify'
import { Agent, request } from 'undici'
import notImplemented = require('../..')
import { tierUnavailableBody } from '../helpers/bodies'
import { listen, listening } from '../helpers/http'

// A tier resolver or flag source that throws, rejects, hangs, answers garbage or is slow:
// every gated request fails closed (503 FST_TIER_UNAVAILABLE, Retry-After, no-store, the
// handler never runs, nothing of the failure in the body), ungated routes keep answering,
// recovery is immediate, timers never hold the process open, and close() is clean.

type Behaviour = (request: FastifyRequest) => unknown

const secret = 'db-password=hunter2'

interface Harness {
  app: ReturnType<typeof Fastify>
  handlerCalls: string[]
  resolverCalls: number
  flagCalls: number
  setResolver: (behaviour: Behaviour) => void
  setFlags: (behaviour: Behaviour) => void
}

async function harness (options: Record<string, unknown> = {}): Promise<Harness> {
  const app = Fastify()
  const state = {
    resolver: ((request: FastifyRequest) => request.headers['x-plan']) as Behaviour,
    flags: (() => true) as Behaviour
  }
  const h: Harness = {
    app,
    handlerCalls: [],
    resolverCalls: 0,
    flagCalls: 0,
    setResolver: (behaviour) => { state.resolver = behaviour },
    setFlags: (behaviour) => { state.flags = behaviour }
  }
  await app.register(notImplemented, {
    tiers: ['free', 'plus', 'pro'],
    resolveTier: (request: FastifyRequest) => { h.resolverCalls++; return state.resolver(request) as string },
    isFeatureEnabled: (_feature: string, request: FastifyRequest) => { h.flagCalls++; return state.flags(request) as boolean },
    logLevel: 'silent',
    ...options
  })
  for (const [url, config] of [['/gated', { tier: 'plus' }], ['/flagged', { feature: 'beta' }], ['/both', { tier: 'plus', feature: 'beta' }]] as const) {
    app.get(url, { config }, async () => {
      h.handlerCalls.push(url)
      return { url }
    })
  }
  app.get('/open', async () => ({ open: true }))
  return h
}

const never = (): Promise<never> => new Promise(() => {})

// The plugin's time limit on a dependency is an unref'd timer: with nothing but injected
// requests waiting on a hung resolver, this test process would simply exit. A server's
// socket keeps a real process alive; here an interval does.
function keepAlive (t: Test): void {
  const interval = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(interval))
}

const resolverFailures: Record<string, Behaviour> = {
  'throws an Error': () => { throw new Error(secret) },
  'throws a string': () => { throw secret },
  'rejects with an Error': async () => { throw new Error(secret) },
  'rejects with undefined': () => Promise.reject(undefined), // eslint-disable-line prefer-promise-reject-errors
  hangs: never,
  'answers after the timeout': () => new Promise((resolve) => setTimeout(resolve, 400, 'pro')),
  'returns a number': () => 42,
  'returns an object': () => ({ tier: 'pro' }),
  'returns an array': () => ['pro'],
  'returns an unknown plan': () => 'platinum',
  'returns an empty string': () => '',
  'returns a plan in the wrong case': () => 'PRO',
  'returns true': () => true,
  'resolves to a number': async () => 7,
  'returns a thenable that throws': () => ({ then () { throw new Error(secret) } })
}

const flagFailures: Record<string, Behaviour> = {
  'throws an Error': () => { throw new Error(secret) },
  rejects: async () => { throw new Error(secret) },
  hangs: never,
  'answers after the timeout': () => new Promise((resolve) => setTimeout(resolve, 400, true)),
  'returns the string "true"': () => 'true',
  'returns 1': () => 1,
  'returns undefined': () => undefined,
  'returns null': () => null,
  'resolves to "false"': async () => 'false'
}

function assertUnavailable (t: Test, response: { statusCode: number, headers: Record<string, unknown>, body: string }, label: string): void {
  t.equal(response.statusCode, 503, label)
  t.equal(response.headers['retry-after'], '5')
  t.equal(response.headers['cache-control'], 'no-store')
  t.same(JSON.parse(response.body), tierUnavailableBody)
  t.notMatch(response.body, /hunter2/, 'nothing of the failure reaches the caller')
}

test('a failing resolver: every request to a tier-gated route gets 503, no handler runs', async (t) => {
  keepAlive(t)
  const h = await harness({ resolverTimeout: 200 })
  t.teardown(() => h.app.close())
  let requests = 0
  for (const [name, behaviour] of Object.entries(resolverFailures)) {
    h.setResolver(behaviour)
    for (const url of ['/gated', '/both']) {
      const before = h.resolverCalls
      const response = await h.app.inject({ method: 'GET', url, headers: { 'x-plan': 'pro' } })
      requests++
      assertUnavailable(t, response, `resolver ${name}: GET ${url}`)
      t.equal(h.resolverCalls - before, 1, 'the resolver was asked once')
    }
  }
  t.same(h.handlerCalls, [], 'no handler ran')
  t.equal(h.flagCalls, 0, 'the flag source was never asked for a caller whose plan is unknown')
  t.comment(`resolver failure modes: ${Object.keys(resolverFailures).length}, gated requests: ${requests}, all 503`)
})

test('a resolver that names no plan is an anonymous caller, not a failure', async (t) => {
  const h = await harness()
  t.teardown(() => h.app.close())
  for (const value of [undefined, null]) {
    h.setResolver(() => value)
    const response = await h.app.inject({ method: 'GET', url: '/gated' })
    t.equal(response.statusCode, 501)
    t.equal(response.json().code, 'FST_TIER_REQUIRED')
  }
  t.same(h.handlerCalls, [])
})

test('a failing flag source: every request to a flagged route gets 503, no handler runs', async (t) => {
  keepAlive(t)
  const h = await harness({ resolverTimeout: 200 })
  t.teardown(() => h.app.close())
  let requests = 0
  for (const [name, behaviour] of Object.entries(flagFailures)) {
    h.setFlags(behaviour)
    for (const url of ['/flagged', '/both']) {
      const response = await h.app.inject({ method: 'GET', url, headers: { 'x-plan': 'pro' } })
      requests++
      assertUnavailable(t, response, `flag source ${name}: GET ${url}`)
    }
  }
  t.same(h.handlerCalls, [])
  t.comment(`flag source failure modes: ${Object.keys(flagFailures).length}, gated requests: ${requests}, all 503`)
})

test('the headers as a client sees them, over a socket', async (t) => {
  const h = await harness({ resolverTimeout: 200 })
  const { origin } = await listen(t, h.app)
  h.setResolver(never)
  const response = await request(`${origin}/gated`)
  assertUnavailable(t, { statusCode: response.statusCode, headers: response.headers, body: await response.body.text() }, 'hanging resolver over a socket')
  t.equal(response.headers.connection, 'keep-alive', 'the connection stays usable')
})

test('200 requests pending on a hung resolver: ungated routes keep answering, all fail closed on time, recovery is immediate', async (t) => {
  const timeout = 1000
  const h = await harness({ resolverTimeout: timeout })
  const { origin } = await listen(t, h.app)
  const gatedAgent = new Agent({ connections: 200, pipelining: 0 })
  const openAgent = new Agent({ connections: 1 })
  t.teardown(() => gatedAgent.close())
  t.teardown(() => openAgent.close())

  // Ungated latency with nothing pending, for comparison.
  async function openLatencies (count: number): Promise<number[]> {
    const times: number[] = []
    for (let i = 0; i < count; i++) {
      const start = process.hrtime.bigint()
      const response = await request(`${origin}/open`, { dispatcher: openAgent })
      await response.body.dump()
      t.equal(response.statusCode, 200)
      times.push(Number(process.hrtime.bigint() - start) / 1e6)
    }
    return times.sort((a, b) => a - b)
  }
  const quiet = await openLatencies(100)

  h.setResolver(never)
  const start = Date.now()
  const gated = Array.from({ length: 200 }, async () => {
    const response = await request(`${origin}/gated`, { dispatcher: gatedAgent, headers: { 'x-plan': 'pro' } })
    return { status: response.statusCode, body: await response.body.json() as { code: string }, at: Date.now() - start }
  })
  // Wait until every gated request has reached the resolver.
  while (h.resolverCalls < 200 && Date.now() - start < timeout) await new Promise((resolve) => setImmediate(resolve))
  const reachedAt = Date.now() - start
  const busy = await openLatencies(100)
  const busyDoneAt = Date.now() - start
  const answers = await Promise.all(gated)

  const statuses = new Set(answers.map((a) => `${a.status} ${a.body.code}`))
  t.same([...statuses], ['503 FST_TIER_UNAVAILABLE'], 'every gated request failed closed')
  t.same(h.handlerCalls, [])
  const first = Math.min(...answers.map((a) => a.at))
  const last = Math.max(...answers.map((a) => a.at))
  t.ok(first >= timeout - 50, `none answered before the resolver's time limit (${first} ms)`)
  t.ok(busyDoneAt < first, `100 ungated requests were answered (by ${busyDoneAt} ms) while all 200 gated ones were pending (first answered at ${first} ms)`)
  const p = (list: number[], q: number): string => list[Math.min(list.length - 1, Math.floor(list.length * q))].toFixed(2)
  t.comment(`hung resolver, 200 concurrent gated requests (resolverTimeout ${timeout} ms): all reached the resolver by ${reachedAt} ms; 503s between ${first} and ${last} ms; ungated /open p50/p99/max ${p(busy, 0.5)}/${p(busy, 0.99)}/${busy[busy.length - 1].toFixed(2)} ms while pending vs ${p(quiet, 0.5)}/${p(quiet, 0.99)}/${quiet[quiet.length - 1].toFixed(2)} ms idle`)

  // The dependency comes back: the very next request is served.
  h.setResolver((request) => request.headers['x-plan'])
  const recovered = Date.now()
  const response = await request(`${origin}/gated`, { dispatcher: openAgent, headers: { 'x-plan': 'plus' } })
  t.same(await response.body.json(), { url: '/gated' })
  t.equal(response.statusCode, 200, 'the first request after recovery is served')
  t.comment(`recovery: first request after the resolver came back answered 200 in ${Date.now() - recovered} ms`)
  t.same(h.handlerCalls, ['/gated'])
})

test('a slow resolver under load: 200 concurrent requests all get their own plan\'s answer', async (t) => {
  const h = await harness({ resolverTimeout: 2000 })
  const { origin } = await listen(t, h.app)
  const agent = new Agent({ connections: 200 })
  t.teardown(() => agent.close())
  h.setResolver((request) => new Promise((resolve) => setTimeout(resolve, 300, request.headers['x-plan'])))
  const plans = ['free', 'plus', 'pro']
  const start = Date.now()
  const answers = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
    const plan = plans[i % 3]
    const response = await request(`${origin}/gated`, { dispatcher: agent, headers: { 'x-plan': plan } })
    await response.body.dump()
    return { plan, status: response.statusCode }
  }))
  const elapsed = Date.now() - start
  for (const { plan, status } of answers) t.equal(status, plan === 'free' ? 501 : 200, `${plan}`)
  t.equal(h.handlerCalls.length, answers.filter((a) => a.plan !== 'free').length, 'a handler ran for each entitled caller only')
  t.equal(h.resolverCalls, 200)
  t.comment(`slow resolver (300 ms), 200 concurrent gated requests answered in ${elapsed} ms`)
})

test('close() while gated requests are pending on a hung resolver', async (t) => {
  const timeout = 500
  const h = await harness({ resolverTimeout: timeout })
  const { origin } = await listening(h.app)
  const agent = new Agent({ connections: 20 })
  h.setResolver(never)
  const pending = Array.from({ length: 20 }, async () => {
    const response = await request(`${origin}/gated`, { dispatcher: agent, headers: { 'x-plan': 'pro' } })
    return { status: response.statusCode, code: (await response.body.json() as { code: string }).code }
  })
  while (h.resolverCalls < 20) await new Promise((resolve) => setImmediate(resolve))
  const start = Date.now()
  let closedAt: number | undefined
  const closing = h.app.close().then(() => { closedAt = Date.now() - start })
  const answers = await Promise.all(pending)
  const answeredAt = Date.now() - start
  t.same(new Set(answers.map((a) => `${a.status} ${a.code}`)), new Set(['503 FST_TIER_UNAVAILABLE']), 'every pending request was answered, failing closed')
  t.ok(answeredAt < timeout + 1000, `answered within the resolver's time limit (${answeredAt} ms)`)
  t.same(h.handlerCalls, [])
  // Like any Fastify app, close() then waits for the keep-alive connections those requests
  // came on (Node closes only the connections idle when close() is called); the client
  // letting them go ends it at once.
  await agent.close()
  await closing
  t.ok(closedAt !== undefined && closedAt - answeredAt < 1000, `close() finished as soon as the client let its connections go (${closedAt} ms)`)
  t.comment(`close() with 20 requests pending on a hung resolver (resolverTimeout ${timeout} ms): all answered 503 by ${answeredAt} ms, close() done at ${closedAt} ms`)
})

test('timers never keep the process alive: a child with requests pending on a hung resolver exits after close()', async (t) => {
  const script = `
    const Fastify = require('fastify')
    const notImplemented = require(${JSON.stringify(join(__dirname, '..', '..'))})
    const app = Fastify()
    app.register(notImplemented, {
      tiers: ['free', 'plus'],
      resolveTier: () => new Promise(() => {}),
      isFeatureEnabled: () => new Promise(() => {}),
      resolverTimeout: 60000,
      logLevel: 'silent'
    }).after(() => {
      app.get('/gated', { config: { tier: 'plus' } }, async () => 'never')
      app.get('/flagged', { config: { feature: 'beta' } }, async () => 'never')
    })
    app.ready().then(async () => {
      for (let i = 0; i < 5; i++) {
        app.inject({ method: 'GET', url: '/gated' }).catch(() => {})
        app.inject({ method: 'GET', url: '/flagged' }).catch(() => {})
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
      await app.close()
      process.stdout.write('closed\\n')
    })
  `
  const start = Date.now()
  const child = spawn(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const killer = setTimeout(() => child.kill('SIGKILL'), 10000)
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])))
  clearTimeout(killer)
  const elapsed = Date.now() - start
  t.equal(signal, null, 'not killed: it exited on its own')
  t.equal(code, 0)
  t.equal(out.trim(), 'closed')
  t.ok(elapsed < 10000, `exited ${elapsed} ms after start, with 10 requests' 60 s timers still pending`)
  t.comment(`child with 10 requests pending on a hung resolver (60 s timeout) exited on its own ${elapsed} ms after start`)
})
