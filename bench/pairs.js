'use strict'

// What is measured: the requests of each scenario, and the one table of A / B pairs with their
// targets. Both sides of a pair get exactly the same requests, in the same order.
//
// `npm run bench` (count.js) counts instructions for every pair: `instructions` is the target
// for the median ratio A / B (null: information, no target). The time-based harness
// (run.js, `npm run bench:time`) runs the pairs that have `time`, with targets for requests/s
// and CPU per request; its `sameAnswers` pairs must also answer byte for byte alike (checked
// before any load). A pair that needs a feature the plugin may not have names a probe,
// `absent`: while it finds the feature absent, the row is printed as skipped, with the reason.
// `warmup`: a longer least warm-up, for a scenario whose compilation comes late. `counted`:
// longer counted windows, for a target finer than a young-generation collection more or less
// in a window of 1,500 requests (about 1% of a request's count).

const plan = (tier) => ({ 'x-plan': tier })

const scenarios = {
  // A static and a parametric route that no gating touches.
  ungated: [
    { method: 'GET', path: '/users' },
    { method: 'GET', path: '/users/42' }
  ],
  // Gated routes (`reports` needs plus, `exports` needs pro); the caller holds pro.
  gatedAllowed: [
    { method: 'GET', path: '/reports/42', headers: plan('pro') },
    { method: 'GET', path: '/exports', headers: plan('pro') }
  ],
  // The same routes; the caller holds free.
  gatedDenied: [
    { method: 'GET', path: '/reports/42', headers: plan('free') },
    { method: 'GET', path: '/exports', headers: plan('free') }
  ],
  // Paths that have routes, methods they do not: 405 with the plugin, 404 without.
  notAllowed: [
    { method: 'DELETE', path: '/users' },
    { method: 'POST', path: '/users/42' }
  ],
  // PATCH: no route of the app has it: 501 with the plugin, 404 without.
  unknownMethod: [
    { method: 'PATCH', path: '/users/42' },
    { method: 'PATCH', path: '/users' }
  ],
  // The memory run: every kind of answer the plugin denies with, in turn.
  denials: [
    { method: 'GET', path: '/reports/42', headers: plan('free') },
    { method: 'DELETE', path: '/users' },
    { method: 'PATCH', path: '/users/42' }
  ]
}

// A target reads "the median ratio A/B <op> value". `info` rows have none.
const atLeast = (value) => ({ op: '>=', value })
const atMost = (value) => ({ op: '<=', value })
const above = (value) => ({ op: '>', value })
const below = (value) => ({ op: '<', value })

// A 12 KB query string on each request of the 405 scenario.
const longQuery = '?q=' + 'x'.repeat(12 * 1024)
scenarios.notAllowedLongQuery = scenarios.notAllowed.map((request) => ({ ...request, path: request.path + longQuery }))

// Whether building `variant` fails the way a plugin without the option fails: at start-up,
// naming the option. Returns why the feature is absent, or undefined when it is there.
async function refusesOption (variant, option) {
  const app = require('./variants').buildApp(variant)
  try {
    await app.ready()
    return undefined
  } catch (error) {
    if (error instanceof TypeError && error.message.includes(option)) return `the plugin refuses the \`${option}\` option (${error.message.slice(0, 80)}...)`
    throw error
  } finally {
    await app.close()
  }
}

// Whether the plugin validates `config.deprecation`: one that has it refuses an unparsable
// date at start-up (when the route is declared, in its onRoute hook); one without it
// ignores the key.
async function ignoresDeprecation () {
  const Fastify = require('fastify')
  const app = Fastify()
  await app.register(require('..'))
  try {
    app.get('/probe', { config: { deprecation: { date: 'not a date' } } }, () => '')
    await app.ready()
    return 'the plugin accepts `config.deprecation` with an unparsable date: it does not read the key'
  } catch {
    return undefined
  } finally {
    await app.close()
  }
}

const pairs = [
  {
    // Two processes of the same app: how far apart two identical sides land, the noise
    // floor of every other row.
    id: '0',
    title: 'A/A control: bare Fastify / bare Fastify',
    a: 'bare',
    b: 'bare#2',
    scenario: 'ungated',
    status: { a: [200], b: [200] },
    instructions: null,
    time: { rps: null, cpu: null },
    sameAnswers: true
  },
  {
    id: '1',
    title: 'ungated route: plugin / bare Fastify',
    a: 'plugin',
    b: 'bare',
    scenario: 'ungated',
    status: { a: [200], b: [200] },
    instructions: atMost(1.003),
    time: { rps: atLeast(0.99), cpu: atMost(1.01) }
  },
  {
    id: '2',
    title: 'gated, allowed, sync resolver: plugin / hand-written onRequest',
    a: 'plugin',
    b: 'hand',
    scenario: 'gatedAllowed',
    status: { a: [200], b: [200] },
    instructions: atMost(1.02),
    counted: 9000,
    time: { rps: atLeast(0.97), cpu: atMost(1 / 0.97) },
    sameAnswers: true
  },
  {
    id: '2a',
    title: 'gated, allowed, async resolver: plugin / hand-written onRequest',
    a: 'plugin-async',
    b: 'hand-async',
    scenario: 'gatedAllowed',
    status: { a: [200], b: [200] },
    instructions: null,
    time: { rps: atLeast(0.97), cpu: atMost(1 / 0.97) },
    sameAnswers: true
  },
  {
    id: '2c',
    title: 'gated, allowed: cached tier (tierCache) / uncached sync resolver',
    a: 'plugin-tier-cache',
    b: 'plugin',
    scenario: 'gatedAllowed',
    status: { a: [200], b: [200] },
    instructions: atMost(1.02),
    warmup: 12000,
    counted: 9000,
    absent: () => refusesOption('plugin-tier-cache', 'tierCache')
  },
  {
    id: '3',
    title: 'gated, denied (501): plugin / hand-written onRequest',
    a: 'plugin',
    b: 'hand',
    scenario: 'gatedDenied',
    status: { a: [501], b: [501] },
    instructions: atMost(1.00),
    time: { rps: null, cpu: null },
    sameAnswers: true
  },
  {
    id: '4',
    title: '405 from the plugin / Fastify\'s 404 for the same request',
    a: 'plugin',
    b: 'bare',
    scenario: 'notAllowed',
    status: { a: [405], b: [404] },
    instructions: atMost(1.00),
    time: { rps: atLeast(1), cpu: atMost(1) }
  },
  {
    id: '4q',
    title: '405 / Fastify\'s 404, with a 12 KB query string',
    a: 'plugin',
    b: 'bare',
    scenario: 'notAllowedLongQuery',
    status: { a: [405], b: [404] },
    instructions: atMost(1.00)
  },
  {
    id: '4m',
    title: '405 / Fastify\'s 404, 20 methods implemented app-wide',
    a: 'plugin-20-methods',
    b: 'bare-20-methods',
    scenario: 'notAllowed',
    status: { a: [405], b: [404] },
    instructions: atMost(1.00)
  },
  {
    // The same bytes as the plugin's 405, made in advance and sent by a hand-written hook
    // through Fastify's reply: what any 405 with these headers and this body costs.
    id: '4f',
    title: 'the least a 405 costs through Fastify\'s reply: pre-built answers / Fastify\'s 404',
    a: 'hand-prebuilt',
    b: 'bare',
    scenario: 'notAllowed',
    status: { a: [405], b: [404] },
    instructions: null
  },
  {
    id: '5',
    title: '501 (method no route has) from the plugin / Fastify\'s 404',
    a: 'plugin',
    b: 'bare',
    scenario: 'unknownMethod',
    status: { a: [501], b: [404] },
    instructions: atMost(0.97),
    time: { rps: atLeast(1), cpu: atMost(1) }
  },
  {
    id: '5f',
    title: 'the least a 501 costs through Fastify\'s reply: pre-built answers / Fastify\'s 404',
    a: 'hand-prebuilt',
    b: 'bare',
    scenario: 'unknownMethod',
    status: { a: [501], b: [404] },
    instructions: null
  },
  {
    id: '6',
    title: '405 from the plugin / 405 from fastify-allow',
    a: 'plugin',
    b: 'fastify-allow',
    scenario: 'notAllowed',
    status: { a: [405], b: [405] },
    instructions: atMost(0.95),
    time: { rps: above(1), cpu: below(1) }
  },
  {
    id: '9',
    title: 'denials, unsubscribed diagnostics channel / no channel code',
    a: 'plugin-silent',
    b: 'plugin-silent-no-channel',
    scenario: 'denials',
    status: { a: [405, 501], b: [405, 501] },
    instructions: atMost(1.003),
    warmup: 16000,
    counted: 9000
  },
  {
    id: '10',
    title: 'route with `deprecation` before its sunset / the same without',
    a: 'plugin-deprecation',
    b: 'plugin',
    scenario: 'ungated',
    status: { a: [200], b: [200] },
    instructions: atMost(1.003),
    absent: ignoresDeprecation
  },
  {
    // The same three headers, set by the app's own onSend hook on the same routes: what
    // sending them costs, whoever sets them.
    id: '10h',
    title: 'route with `deprecation` / the same headers set by a hand-written onSend hook',
    a: 'plugin-deprecation',
    b: 'plugin-hand-deprecation',
    scenario: 'ungated',
    status: { a: [200], b: [200] },
    instructions: null,
    absent: ignoresDeprecation
  }
]

// Instructions to build the app and reach `ready()` with this many routes, all with response
// schemas (routes.js), A / B; the plugin as configured by default, and with the option that
// registers its shared schemas. (The time-based harness times `ready()` against readyTarget.)
const readyRoutes = 5000
const readyPairs = [
  {
    id: '7',
    title: 'ready() with 5,000 routes: plugin / bare Fastify',
    a: 'plugin',
    b: 'bare',
    instructions: atMost(1.05)
  },
  {
    id: '7s',
    title: 'ready() with 5,000 routes: plugin with sharedSchemas / bare Fastify',
    a: 'plugin-shared-schemas',
    b: 'bare',
    instructions: null
  }
]

const readyTarget = atMost(1.10)
// Memory after 1,000,000 denials / after 1,000, against a bare Fastify given the same
// requests: after 1,000 requests the runtime has not settled yet (code is still being
// optimised, V8 may still grow its young generation), so some growth is the runtime's own.
// The plugin's growth, heap after a full collection and RSS, may exceed bare Fastify's by
// 5% at most; a leak of one byte per request would add a megabyte (about 9% of the heap).
const memoryTargets = { overBare: 1.05 }

function meets (target, ratio) {
  if (target == null) return undefined
  switch (target.op) {
    case '>=': return ratio >= target.value
    case '<=': return ratio <= target.value
    case '>': return ratio > target.value
    case '<': return ratio < target.value
  }
}

function describeTarget (target) {
  return target == null ? 'info' : `${target.op} ${target.value.toFixed(2)}`
}

module.exports = { scenarios, pairs, readyPairs, readyRoutes, readyTarget, memoryTargets, meets, describeTarget }
