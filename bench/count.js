'use strict'

// `npm run bench`: instructions per request, A / B, for every pair of pairs.js,
// counted with valgrind's callgrind. Timing on a small shared machine is noise (see
// README.md); the instructions a request executes are not, once three things are fixed:
//
// - V8's young generation has a fixed size and the memory reducer is off, so garbage
//   collection does not size itself differently from one variant to the other; hash and
//   random seeds are fixed; V8 runs on the one thread callgrind counts (--single-threaded);
// - each server is warmed up until its count per request stops falling (the JIT has done its
//   work), in windows of `window` requests: at least `warmup` requests, then until one window
//   is no new low by more than 1%;
// - the counters are zeroed after the warm-up (`callgrind_control -z`) and dumped after each
//   counted window (`callgrind_control -d`, which zeroes them again).
//
// Both sides of a pair run at once, side by side on the two cores, each driven by one
// autocannon connection from this process. The ratio of each counted window of A to the same
// window of B is taken; the table shows the median of those and their spread.
//
//   node bench/count.js                 every pair (about half an hour on two free cores)
//   node bench/count.js --only 1,4      some pairs only (ids as in the table; 7 is ready())
//   node bench/count.js --smoke         pair 1, a few hundred requests, no verdicts (CI)
//   node bench/count.js --warmup N --counted N --windows N

try {
  require.resolve('..')
} catch {
  process.stderr.write('bench: the package is not built; run `npm run build` first\n')
  process.exit(1)
}

const { fork, execFile, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { promisify } = require('node:util')
const { parseArgs } = require('node:util')
const autocannon = require('autocannon')
const { scenarios, pairs: countPairs, readyPairs, readyRoutes } = require('./pairs')

const run = promisify(execFile)

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    warmup: { type: 'string' },
    counted: { type: 'string' },
    windows: { type: 'string' },
  }
})

const full = { warmup: 6000, maxWarmup: 16000, window: 1000, counted: 1500, windows: 3, readyRoutes }
const smoke = { warmup: 200, maxWarmup: 400, window: 100, counted: 200, windows: 1, readyRoutes: 200 }
const settings = { ...(args.smoke ? smoke : full) }
if (args.warmup !== undefined) settings.warmup = Number(args.warmup)
if (args.counted !== undefined) settings.counted = Number(args.counted)
if (args.windows !== undefined) settings.windows = Number(args.windows)
settings.maxWarmup = Math.max(settings.maxWarmup, settings.warmup)
const only = args.only === undefined ? (args.smoke ? new Set(['1']) : undefined) : new Set(args.only.split(','))
const selected = (id) => only === undefined || only.has(id)

// The same V8 for every process counted: see the top of this file.
const nodeFlags = ['--single-threaded', '--min-semi-space-size=16', '--max-semi-space-size=16', '--no-memory-reducer', '--hash-seed=1', '--random-seed=1']
// A window stops the warm-up when it is no more than this far below the one before.
const settled = 0.01

const started = Date.now()
function log (line) {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`)
}

function median (values) {
  const sorted = [...values].sort((x, y) => x - y)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

// A process of `script` under callgrind, with the IPC channel of `fork` (valgrind runs the
// program in its own process, so the channel and the pid are the program's).
function forkCounted (script, scriptArgs, dir) {
  const child = fork(script, scriptArgs, {
    execPath: 'valgrind',
    execArgv: ['--tool=callgrind', '--quiet', `--callgrind-out-file=${dir}/callgrind.%p`, process.execPath, ...nodeFlags],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc']
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000) })
  child.output = () => stderr
  return child
}

function message (child, type, what) {
  return new Promise((resolve, reject) => {
    function onMessage (msg) {
      if (msg.type !== type) return
      child.off('exit', onExit)
      child.off('message', onMessage)
      resolve(msg)
    }
    function onExit (code) {
      child.off('message', onMessage)
      reject(new Error(`${what} exited (code ${code}) before "${type}": ${child.output()}`))
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

async function zero (child) {
  await run('callgrind_control', ['-z', String(child.pid)])
}

// Dumps the counters (which zeroes them) and returns the instructions counted since the
// last zero or dump.
let dumps = 0
async function dump (child, dir) {
  const before = new Set(fs.readdirSync(dir))
  await run('callgrind_control', ['-d', String(child.pid)])
  dumps++
  for (let attempt = 0; attempt < 200; attempt++) {
    for (const file of fs.readdirSync(dir)) {
      if (before.has(file) || !file.startsWith(`callgrind.${child.pid}.`)) continue
      const text = fs.readFileSync(path.join(dir, file), 'utf8')
      const totals = /^totals: (\d+)/m.exec(text)
      if (totals !== null) {
        fs.rmSync(path.join(dir, file))
        return Number(totals[1])
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`callgrind wrote no dump for pid ${child.pid}`)
}

async function startServer (variant, dir) {
  const child = forkCounted(path.join(__dirname, 'server.js'), [variant.split('#')[0]], dir)
  const { port } = await message(child, 'listening', `server "${variant}"`)
  return { variant, child, url: `http://127.0.0.1:${port}` }
}

async function stopServer (server) {
  if (server.child.exitCode !== null) return
  const exited = new Promise((resolve) => server.child.once('exit', resolve))
  server.child.send({ type: 'close' })
  await exited
}

// Exactly `amount` requests, one connection, one at a time; every answer's status must be
// one of `expected`.
async function send (server, requests, expected, amount) {
  const result = await autocannon({ url: server.url, connections: 1, pipelining: 1, amount, requests, sampleInt: 50 })
  const counts = result.statusCodeStats ?? {}
  let answered = 0
  for (const [status, { count }] of Object.entries(counts)) {
    if (!expected.includes(Number(status))) throw new Error(`${server.variant}: answered ${status}, expected ${expected.join('/')}`)
    answered += count
  }
  if (answered !== amount || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${server.variant}: ${answered} of ${amount} requests answered; ${result.errors} errors, ${result.timeouts} timeouts`)
  }
}

// One side of a pair: warmed up in windows of `window` requests, each counted, until the
// count per request stops falling (at least `warmup` requests; then until a window is no
// new low by more than `settled`), then counted in `windows` windows of `counted` requests.
// (Callgrind started with instrumentation off and switched on after an uncounted warm-up
// runs faster, but then counts like a fresh process: the JIT work shows up again.)
async function countSide (variant, scenario, expected, leastWarmup, counted, dir) {
  const requests = scenarios[scenario]
  const server = await startServer(variant, dir)
  try {
    // A first request of each kind, then counters zeroed: the warm-up windows start clean.
    await send(server, requests, expected, requests.length)
    await zero(server.child)
    const warmupWindows = []
    let warmedUp = 0
    for (;;) {
      await send(server, requests, expected, settings.window)
      warmedUp += settings.window
      const last = await dump(server.child, dir) / settings.window
      const low = Math.min(...warmupWindows)
      warmupWindows.push(last)
      const falling = last < low * (1 - settled)
      if (warmedUp >= Math.max(settings.maxWarmup, leastWarmup) || (warmedUp >= leastWarmup && !falling)) break
    }
    const windows = []
    for (let i = 0; i < settings.windows; i++) {
      await send(server, requests, expected, counted)
      windows.push(await dump(server.child, dir) / counted)
    }
    const each = (counts) => counts.map((n) => Math.round(n).toLocaleString('en')).join(', ')
    log(`  ${variant} (${scenario}): warm-up windows of ${settings.window}, instructions per request: ${each(warmupWindows)}`)
    log(`  ${variant} (${scenario}): warmed up with ${warmedUp.toLocaleString('en')} requests; counted ${each(windows)}`)
    return { variant, warmedUp, warmupWindows, windows }
  } finally {
    await stopServer(server)
  }
}

// Every side of the selected pairs, counted once (a variant given the same requests in two
// pairs is the same side), two at a time: side by side on the two cores.
async function countSides (pairs, dir) {
  const sides = new Map()
  for (const pair of pairs) {
    for (const side of ['a', 'b']) {
      const key = `${pair[side]} ${pair.scenario}`
      if (!sides.has(key)) sides.set(key, { variant: pair[side], scenario: pair.scenario, expected: pair.status[side], leastWarmup: settings.warmup, counted: settings.counted })
      // A pair's own least warm-up and window hold in a full run only (a smoke run is short
      // by design); a side in two pairs gets the longer of each.
      const chosen = sides.get(key)
      if (pair.warmup !== undefined && !args.smoke) chosen.leastWarmup = Math.max(chosen.leastWarmup, pair.warmup)
      if (pair.counted !== undefined && !args.smoke) chosen.counted = Math.max(chosen.counted, pair.counted)
    }
  }
  const queue = [...sides.entries()]
  const counted = new Map()
  async function worker () {
    while (queue.length > 0) {
      const [key, { variant, scenario, expected, leastWarmup, counted: perWindow }] = queue.shift()
      counted.set(key, await countSide(variant, scenario, expected, leastWarmup, perWindow, dir))
    }
  }
  await Promise.all([worker(), worker()])
  return counted
}

function pairResult (pair, counted) {
  const a = counted.get(`${pair.a} ${pair.scenario}`)
  const b = counted.get(`${pair.b} ${pair.scenario}`)
  const ratios = a.windows.map((value, i) => value / b.windows[i])
  return { id: pair.id, title: pair.title, target: pair.instructions, a, b, ratios, ...spread(ratios), perA: median(a.windows), perB: median(b.windows) }
}

function spread (ratios) {
  return { ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) }
}

// Instructions from creating the app to `ready()` resolving, modules already loaded.
async function countReadySide (variant, routes, dir) {
  const child = forkCounted(path.join(__dirname, 'count-ready.js'), [variant, String(routes)], dir)
  try {
    await message(child, 'loaded', `ready "${variant}"`)
    await zero(child)
    const done = message(child, 'ready', `ready "${variant}"`)
    child.send({ type: 'go' })
    await done
    const instructions = await dump(child, dir)
    log(`  ${variant}: ${instructions.toLocaleString('en')} instructions to ready() with ${routes} routes`)
    return instructions
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.send({ type: 'close' })
      await exited
    }
  }
}

// Every variant of the selected ready() pairs, counted once, two at a time.
async function countReady (pairs, dir) {
  const routes = settings.readyRoutes
  const queue = [...new Set(pairs.flatMap((pair) => [pair.a, pair.b]))]
  const counted = new Map()
  async function worker () {
    while (queue.length > 0) {
      const variant = queue.shift()
      counted.set(variant, await countReadySide(variant, routes, dir))
    }
  }
  await Promise.all([worker(), worker()])
  return pairs.map((pair) => {
    const ratios = [counted.get(pair.a) / counted.get(pair.b)]
    return { id: pair.id, title: pair.title.replace('5,000', routes.toLocaleString('en')), target: pair.instructions, ratios, ...spread(ratios), perA: counted.get(pair.a), perB: counted.get(pair.b) }
  })
}

function meets (target, ratio) {
  return target == null ? undefined : ratio <= target.value
}

function table (results, verdicts) {
  const rows = [['pair', 'A', 'B', 'A/B median', 'min–max', 'target', 'result']]
  for (const result of results) {
    if (result.skipped !== undefined) {
      rows.push([`${result.id}. ${result.title}`, '', '', '', '', `<= ${result.target.value.toFixed(3)}`, `skipped: ${result.skipped}`])
      continue
    }
    const met = meets(result.target, result.ratio)
    rows.push([
      `${result.id}. ${result.title}`,
      Math.round(result.perA).toLocaleString('en'),
      Math.round(result.perB).toLocaleString('en'),
      result.ratio.toFixed(3),
      result.ratios.length > 1 ? `${result.min.toFixed(3)}–${result.max.toFixed(3)}` : '',
      result.target == null ? 'info' : `<= ${result.target.value.toFixed(3)}`,
      !verdicts || met === undefined ? '' : met ? 'met' : 'MISSED'
    ])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  const numeric = (i) => i >= 1 && i <= 4
  const line = (row) => '| ' + row.map((cell, i) => numeric(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])).join(' | ') + ' |'
  const rule = '|' + widths.map((w, i) => (numeric(i) ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|'
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n')
}

function machine () {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8')
  return {
    cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    node: process.version,
    valgrind: execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim(),
    fastify: require('fastify/package.json').version,
    date: new Date().toISOString()
  }
}

async function main () {
  let about
  try {
    about = machine()
  } catch {
    log('valgrind is not installed: `apt-get install valgrind` (Debian, Ubuntu), then run again')
    process.exit(1)
  }
  log(`${about.cpu}, ${about.cores} cores; Node ${about.node}, ${about.valgrind}, Fastify ${about.fastify}`)
  log(`${args.smoke ? 'smoke' : 'full'} run: warm-up at least ${settings.warmup} requests per server (windows of ${settings.window}), then ${settings.windows} counted window(s) of ${settings.counted}`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fastify-not-implemented-count-'))
  const results = []
  try {
    const present = []
    for (const pair of countPairs.filter((pair) => selected(pair.id))) {
      const absent = pair.absent === undefined ? undefined : await pair.absent()
      if (absent !== undefined) log(`pair ${pair.id}: feature not present, skipped: ${absent}`)
      else present.push(pair)
    }
    log(`pairs ${present.map((pair) => pair.id).join(', ')}`)
    const counted = await countSides(present, dir)
    for (const pair of countPairs.filter((pair) => selected(pair.id))) {
      if (present.includes(pair)) results.push(pairResult(pair, counted))
      else results.push({ id: pair.id, title: pair.title, target: pair.instructions, skipped: 'feature not present' })
    }
    const ready = readyPairs.filter((pair) => selected(pair.id))
    if (ready.length > 0) {
      log(`pairs ${ready.map((pair) => pair.id).join(', ')}: ready() with ${settings.readyRoutes} routes`)
      results.push(...await countReady(ready, dir))
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const seconds = Math.round((Date.now() - started) / 1000)
  process.stdout.write(table(results, !args.smoke) + '\n')
  log(`${results.length} pairs in ${seconds} s, ${dumps} dumps`)
  if (!args.smoke) {
    const resultsDir = path.join(__dirname, 'results')
    fs.mkdirSync(resultsDir, { recursive: true })
    const file = path.join(resultsDir, `count-${about.date.replace(/[:.]/g, '-')}.json`)
    fs.writeFileSync(file, JSON.stringify({ machine: about, nodeFlags, settings, seconds, results }, null, 2))
    log(`results: ${path.relative(process.cwd(), file)}`)
  }
}

main().catch((error) => {
  log(error.stack ?? String(error))
  process.exit(1)
})
