'use strict'

// What an unsubscribed diagnostics channel costs on the paths that answer: the plugin as
// it is, against the same plugin with its decision recording replaced by the log line
// alone (no channel code at all). Counted in instructions with valgrind's callgrind, per
// request: each variant runs twice, with `few` and with `many` requests after the same
// warm-up, and the difference of the two totals, divided by the difference in requests,
// is the cost of one request with start-up and warm-up cancelled out.
//
//   node bench/channel-cost.js            (runs the four counts, about a minute each)
//   node bench/channel-cost.js child <variant> <requests>   (one count, under callgrind)

const { execFileSync } = require('node:child_process')
const { readFileSync, mkdtempSync, rmSync } = require('node:fs')
const { join } = require('node:path')
const { tmpdir } = require('node:os')

const warmUp = 6000
const few = 2000
const many = 6000
const requests = [
  { method: 'DELETE', url: '/users' }, // 405
  { method: 'PATCH', url: '/users/42' }, // 501
  { method: 'GET', url: '/reports/42', headers: { 'x-plan': 'free' } } // 501 FST_TIER_REQUIRED
]

async function child (variant, count) {
  if (variant === 'without-channel') {
    // The recording functions with their channel code taken out (with logLevel 'silent'
    // they then do nothing), and a resolver channel that is a plain object: what "costs
    // nothing" is measured against. The compiled modules look these up on the exports
    // object at each call, so replacing them here replaces them everywhere.
    const decisions = require('../dist/decisions.js')
    decisions.recordDecision = function recordDecision () {}
    decisions.recordOptions = function recordOptions () {}
    decisions.resolverChannel = { hasSubscribers: false }
  }
  const Fastify = require('fastify')
  const notImplemented = require('..')
  const app = Fastify()
  await app.register(notImplemented, { tiers: ['free', 'plus'], resolveTier: (request) => request.headers['x-plan'], logLevel: 'silent' })
  app.get('/users', async () => [])
  app.get('/users/:id', async () => ({}))
  app.get('/reports/:id', { config: { tier: 'plus' } }, async () => ({}))
  await app.ready()
  for (let i = 0; i < warmUp + count; i++) await app.inject(requests[i % requests.length])
  await app.close()
}

function count (variant, requestCount) {
  const dir = mkdtempSync(join(tmpdir(), 'channel-cost-'))
  const out = join(dir, 'callgrind.out')
  try {
    execFileSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath,
      '--single-threaded', '--min-semi-space-size=16', '--max-semi-space-size=16', '--no-memory-reducer', '--hash-seed=1', '--random-seed=1',
      __filename, 'child', variant, String(requestCount)], { stdio: ['ignore', 'ignore', 'ignore'] })
    const summary = /^summary: (\d+)/m.exec(readFileSync(out, 'utf8'))
    return Number(summary[1])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function main () {
  const rows = []
  for (const variant of ['as-is', 'without-channel']) {
    const perRequest = (count(variant, many) - count(variant, few)) / (many - few)
    rows.push({ variant, perRequest })
    console.log(`${variant}: ${Math.round(perRequest)} instructions per request (405, 501, tier 501 in turn)`)
  }
  console.log(`unsubscribed channel / no channel code: ${(rows[0].perRequest / rows[1].perRequest).toFixed(4)} (target <= 1.003)`)
}

if (process.argv[2] === 'child') child(process.argv[3], Number(process.argv[4]))
else main()
