'use strict'

// `npm run bench`: every pair of pairs.js, each side in its own server process (a fresh
// one every round), measured in interleaved A/B rounds after a warm-up; prints one table
// of ratios (A / B): the median over the rounds and the min-max spread.
//
//   node bench/run.js               the full run (a few minutes)
//   node bench/run.js --smoke       a few seconds: every code path once, no verdicts
//   node bench/run.js --only 1,4,7  some pairs only (ids as in the table)
//   node bench/run.js --profile     servers also write V8 CPU profiles to bench/results/
//
// Requests/s are taken with autocannon (10 connections, -p 1 and -p 10); CPU per request
// is the server process's own user + system time over a fixed number of requests, which
// holds up on a small or shared machine where requests/s wander with the neighbours.

try {
  require.resolve('..')
} catch {
  process.stderr.write('bench: the package is not built; run `npm run build` first\n')
  process.exit(1)
}

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { parseArgs } = require('node:util')
const h = require('./harness')
const { scenarios, pairs, readyTarget, memoryTargets, meets, describeTarget } = require('./pairs')
// The pairs this harness times: those with time-based targets.
const loadPairs = pairs.filter((pair) => pair.time !== undefined)

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    profile: { type: 'boolean', default: false }
  }
})

const full = {
  rounds: 5,
  warmup: 0.5, // seconds of load per side in each round, before measuring
  duration: 1.2, // seconds of load per side per requests/s figure per round, in...
  slices: 4, // ...this many alternating slices
  cpuAmount: 16000, // requests per side per CPU figure per round, in...
  cpuSlices: 8, // ...this many alternating slices
  readyRoutes: 5000,
  readyRounds: 5,
  memoryBaseline: 1000,
  memoryTotal: 1000000,
  memorySamples: 4
}
const smoke = {
  rounds: 1,
  warmup: 0,
  duration: 0.1,
  slices: 1,
  cpuAmount: 400,
  cpuSlices: 1,
  readyRoutes: 200,
  readyRounds: 1,
  memoryBaseline: 1000,
  memoryTotal: 5000,
  memorySamples: 1
}
const settings = { ...(args.smoke ? smoke : full) }
if (args.rounds !== undefined) settings.rounds = Number(args.rounds)
if (args.duration !== undefined) settings.duration = Number(args.duration)
const only = args.only === undefined ? undefined : new Set(args.only.split(','))
const selected = (id) => only === undefined || only.has(id)

const resultsDir = path.join(__dirname, 'results')

const started = Date.now()

function log (line) {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`)
}

function median (values) {
  const sorted = [...values].sort((x, y) => x - y)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

// One figure of one pair: the medians of each side, and of the per-round ratios A/B.
function summary (a, b, target) {
  const ratios = a.map((value, i) => value / b[i])
  const ratio = median(ratios)
  return { a: median(a), b: median(b), ratios, ratio, min: Math.min(...ratios), max: Math.max(...ratios), target, met: meets(target, ratio) }
}

function machine () {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown'
  return {
    cpu: model,
    cores: os.availableParallelism(),
    node: process.version,
    fastify: require('fastify/package.json').version,
    autocannon: require('autocannon/package.json').version,
    fastifyAllow: require('fastify-allow/package.json').version,
    date: new Date().toISOString()
  }
}

// One request per scenario entry to both sides before any load: the statuses are the
// expected ones, and the two sides of a like-for-like pair answer alike.
async function preflight (pair, servers) {
  const answers = {}
  for (const side of ['a', 'b']) {
    const server = servers[side]
    answers[side] = []
    for (const request of scenarios[pair.scenario]) {
      const response = await fetch(server.url + request.path, { method: request.method, headers: request.headers })
      const body = await response.text()
      if (!pair.status[side].includes(response.status)) {
        throw new Error(`pair ${pair.id}: ${server.variant} answered ${request.method} ${request.path} with ${response.status}, expected ${pair.status[side].join('/')}`)
      }
      if (response.status === 405 && !response.headers.has('allow')) {
        throw new Error(`pair ${pair.id}: ${server.variant} answered 405 without Allow`)
      }
      answers[side].push({ status: response.status, cacheControl: response.headers.get('cache-control'), body })
    }
  }
  if (pair.sameAnswers && JSON.stringify(answers.a) !== JSON.stringify(answers.b)) {
    throw new Error(`pair ${pair.id}: ${pair.a} and ${pair.b} answer differently: ${JSON.stringify(answers)}`)
  }
  return { a: answers.a.map((answer) => answer.body.length), b: answers.b.map((answer) => answer.body.length) }
}

// Runs `measure` on both sides in `slices` alternating slices (A B B A A B ...), so that a
// burst of load from elsewhere on the machine falls on both sides alike, and returns each
// side's total numerator / total denominator.
async function alternate (order, slices, measure) {
  const totals = { a: [0, 0], b: [0, 0] }
  for (let slice = 0; slice < slices; slice++) {
    for (const [side, server] of slice % 2 === 0 ? order : [...order].reverse()) {
      const [numerator, denominator] = await measure(side, server)
      totals[side][0] += numerator
      totals[side][1] += denominator
    }
  }
  return { a: totals.a[0] / totals.a[1], b: totals.b[0] / totals.b[1] }
}

// One round: a fresh process for each side (two processes of the same program can differ
// by several percent for their whole life: rounds must not inherit that), a warm-up, then
// requests/s at -p 1 and -p 10 and CPU per request, each in alternating slices.
async function measureRound (pair, round, options) {
  // Each side goes first in every other round: started, warmed up and measured first.
  const sides = round % 2 === 0 ? ['a', 'b'] : ['b', 'a']
  const servers = {}
  try {
    for (const side of sides) servers[side] = await h.startServer(pair[side], options)
    const bodyBytes = await preflight(pair, servers)
    const requests = scenarios[pair.scenario]
    if (settings.warmup > 0) {
      for (const side of sides) {
        await h.throughput(servers[side], requests, pair.status[side], { pipelining: 10, duration: settings.warmup })
      }
    }
    const order = sides.map((side) => [side, servers[side]])
    const { slices } = settings
    const figures = { bodyBytes }
    for (const pipelining of [1, 10]) {
      figures[`p${pipelining}`] = await alternate(order, slices, async (side, server) => {
        const { answered, seconds } = await h.throughput(server, requests, pair.status[side], { pipelining, duration: settings.duration / slices })
        return [answered, seconds]
      })
    }
    figures.cpu = await alternate(order, settings.cpuSlices, async (side, server) => {
      const { micros, answered } = await h.cpuTime(server, requests, pair.status[side], { amount: Math.ceil(settings.cpuAmount / settings.cpuSlices) })
      return [micros, answered]
    })
    return figures
  } finally {
    await Promise.all(Object.values(servers).map(h.stopServer))
  }
}

async function measurePair (pair, options) {
  const samples = { a: { p1: [], p10: [], cpu: [] }, b: { p1: [], p10: [], cpu: [] } }
  let bodyBytes
  for (let round = 0; round < settings.rounds; round++) {
    const figures = await measureRound(pair, round, options)
    bodyBytes = figures.bodyBytes
    for (const figure of ['p1', 'p10', 'cpu']) {
      samples.a[figure].push(figures[figure].a)
      samples.b[figure].push(figures[figure].b)
    }
  }
  return {
    id: pair.id,
    title: pair.title,
    bodyBytes,
    figures: {
      'req/s -p 1': summary(samples.a.p1, samples.b.p1, pair.time.rps),
      'req/s -p 10': summary(samples.a.p10, samples.b.p10, pair.time.rps),
      'CPU µs/req': summary(samples.a.cpu, samples.b.cpu, pair.time.cpu)
    }
  }
}

async function measureReady (pinned) {
  const samples = { a: [], b: [] }
  for (let round = 0; round < settings.readyRounds; round++) {
    const order = round % 2 === 0 ? ['a', 'b'] : ['b', 'a']
    for (const side of order) {
      samples[side].push(await h.readyTime(side === 'a' ? 'plugin' : 'bare', settings.readyRoutes, { pinned }))
    }
  }
  return {
    id: '7',
    title: `ready() with ${settings.readyRoutes.toLocaleString('en')} routes: plugin / bare Fastify`,
    figures: { 'ready ms': summary(samples.a, samples.b, readyTarget) }
  }
}

// One fresh server; its memory after a full collection, after `memoryBaseline` requests
// and then at a few points up to `memoryTotal`.
async function memoryTrend (variant, expected, pinned) {
  const server = await h.startServer(variant, { pinned, nodeFlags: ['--expose-gc'] })
  try {
    const requests = scenarios.denials
    let sent = await h.flood(server, requests, expected, settings.memoryBaseline)
    const trend = [{ requests: sent, ...await h.ask(server.child, 'memory') }]
    const step = Math.ceil((settings.memoryTotal - sent) / settings.memorySamples)
    while (sent < settings.memoryTotal) {
      sent += await h.flood(server, requests, expected, Math.min(step, settings.memoryTotal - sent))
      const now = await h.ask(server.child, 'memory')
      trend.push({ requests: sent, ...now })
      log(`  ${variant}: after ${sent.toLocaleString('en')} requests, rss ${(now.rss / 1e6).toFixed(1)} MB, heap ${(now.heapUsed / 1e6).toFixed(2)} MB`)
    }
    return trend.map(({ id, ...sample }) => sample)
  } finally {
    await h.stopServer(server)
  }
}

// The plugin's server gets the denials; a bare Fastify gets the same requests (it answers
// them 200 and 404), to show how much the runtime itself grows under the same load: the
// plugin's growth may exceed it by 5% at most.
async function measureMemory (pinned) {
  const plugin = await memoryTrend('plugin', [405, 501], pinned)
  const bare = await memoryTrend('bare', [200, 404], pinned)
  const growth = (trend, key) => summary([trend[trend.length - 1][key]], [trend[0][key]], null)
  const againstBare = (key) => {
    const own = growth(plugin, key)
    return { ...own, ...judged({ op: '<=', value: growth(bare, key).ratio * memoryTargets.overBare }, own.ratio) }
  }
  const total = plugin[plugin.length - 1].requests.toLocaleString('en')
  const first = plugin[0].requests.toLocaleString('en')
  return [
    {
      id: '8',
      title: `memory after ${total} denials / after ${first}`,
      trend: plugin,
      figures: { 'heap MB (after GC)': againstBare('heapUsed'), 'RSS MB': againstBare('rss') }
    },
    {
      id: '8c',
      title: 'control: bare Fastify, the same requests',
      trend: bare,
      figures: { 'heap MB (after GC)': growth(bare, 'heapUsed'), 'RSS MB': growth(bare, 'rss') }
    }
  ]
}

function judged (target, ratio) {
  return { target, met: meets(target, ratio) }
}

function formatValue (figure, value) {
  if (figure.startsWith('req/s')) return Math.round(value).toLocaleString('en')
  if (figure.startsWith('CPU')) return value.toFixed(1)
  if (figure.startsWith('ready')) return Math.round(value).toLocaleString('en')
  return (value / 1e6).toFixed(1)
}

function table (results, verdicts) {
  const rows = [['pair', 'figure', 'A', 'B', 'A/B median', 'min–max', 'target', 'result']]
  for (const result of results) {
    let first = true
    for (const [figure, s] of Object.entries(result.figures)) {
      const verdict = !verdicts || s.met === undefined ? '' : s.met ? 'met' : 'MISSED'
      rows.push([
        first ? `${result.id}. ${result.title}` : '',
        figure,
        formatValue(figure, s.a),
        formatValue(figure, s.b),
        s.ratio.toFixed(3),
        s.ratios.length > 1 ? `${s.min.toFixed(3)}–${s.max.toFixed(3)}` : '',
        describeTarget(s.target),
        verdict
      ])
      first = false
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  const line = (row) => '| ' + row.map((cell, i) => i >= 2 && i <= 5 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])).join(' | ') + ' |'
  const rule = '|' + widths.map((w, i) => (i >= 2 && i <= 5 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|'
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n')
}

async function main () {
  const about = machine()
  const { pinned, note } = h.pinning()
  log(`${about.cpu}, ${about.cores} cores; Node ${about.node}, Fastify ${about.fastify}; ${note}`)
  log(`${args.smoke ? 'smoke' : 'full'} run: ${settings.rounds} rounds; per side and round, ${settings.duration} s of load per requests/s figure, ${settings.cpuAmount} requests per CPU figure`)

  const nodeFlags = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${resultsDir}`] : []
  const results = []
  for (const pair of loadPairs.filter((pair) => selected(pair.id))) {
    log(`pair ${pair.id}: ${pair.title}`)
    results.push(await measurePair(pair, { pinned, nodeFlags }))
  }
  if (selected('7')) {
    log(`pair 7: ready() with ${settings.readyRoutes} routes`)
    results.push(await measureReady(pinned))
  }
  if (selected('8')) {
    log('pair 8: memory')
    results.push(...await measureMemory(pinned))
  }

  const seconds = Math.round((Date.now() - started) / 1000)
  process.stdout.write(table(results, !args.smoke) + '\n')
  log(`${results.length} pairs in ${seconds} s`)
  if (!args.smoke) {
    fs.mkdirSync(resultsDir, { recursive: true })
    const file = path.join(resultsDir, `${about.date.replace(/[:.]/g, '-')}.json`)
    fs.writeFileSync(file, JSON.stringify({ machine: about, pinning: note, settings, seconds, results }, null, 2))
    log(`results: ${path.relative(process.cwd(), file)}`)
  }
}

main().catch((error) => {
  log(error.stack ?? String(error))
  process.exit(1)
})
