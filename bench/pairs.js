'use strict'

// What is measured: the requests of each scenario, and the A / B pairs with their targets.
// Both sides of a pair get exactly the same requests, in the same order; `sameAnswers`
// pairs must also answer them byte for byte alike (checked before any load).

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

// Load pairs: requests/s at -p 1 and -p 10, and server CPU per request.
const loadPairs = [
  {
    // Two processes of the same app: how far apart two identical sides land on this
    // machine, the noise floor of every other row.
    id: '0',
    title: 'A/A control: bare Fastify / bare Fastify',
    a: 'bare',
    b: 'bare#2',
    scenario: 'ungated',
    status: { a: [200], b: [200] },
    sameAnswers: true,
    targets: { rps: null, cpu: null }
  },
  {
    id: '1',
    title: 'ungated route: plugin / bare Fastify',
    a: 'plugin',
    b: 'bare',
    scenario: 'ungated',
    status: { a: [200], b: [200] },
    targets: { rps: atLeast(0.99), cpu: atMost(1.01) }
  },
  {
    id: '2',
    title: 'gated, allowed, sync resolver: plugin / hand-written onRequest',
    a: 'plugin',
    b: 'hand',
    scenario: 'gatedAllowed',
    status: { a: [200], b: [200] },
    sameAnswers: true,
    targets: { rps: atLeast(0.97), cpu: atMost(1 / 0.97) }
  },
  {
    id: '2a',
    title: 'gated, allowed, async resolver: plugin / hand-written onRequest',
    a: 'plugin-async',
    b: 'hand-async',
    scenario: 'gatedAllowed',
    status: { a: [200], b: [200] },
    sameAnswers: true,
    targets: { rps: atLeast(0.97), cpu: atMost(1 / 0.97) }
  },
  {
    id: '3',
    title: 'gated, denied (501): plugin / hand-written onRequest',
    a: 'plugin',
    b: 'hand',
    scenario: 'gatedDenied',
    status: { a: [501], b: [501] },
    sameAnswers: true,
    targets: { rps: null, cpu: null }
  },
  {
    id: '4',
    title: '405 from the plugin / Fastify\'s 404 for the same request',
    a: 'plugin',
    b: 'bare',
    scenario: 'notAllowed',
    status: { a: [405], b: [404] },
    targets: { rps: atLeast(1), cpu: atMost(1) }
  },
  {
    id: '5',
    title: '501 (unknown method) from the plugin / Fastify\'s 404',
    a: 'plugin',
    b: 'bare',
    scenario: 'unknownMethod',
    status: { a: [501], b: [404] },
    targets: { rps: atLeast(1), cpu: atMost(1) }
  },
  {
    id: '6',
    title: '405 from the plugin / 405 from fastify-allow',
    a: 'plugin',
    b: 'fastify-allow',
    scenario: 'notAllowed',
    status: { a: [405], b: [405] },
    targets: { rps: above(1), cpu: below(1) }
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

module.exports = { scenarios, loadPairs, readyTarget, memoryTargets, meets, describeTarget }
