'use strict'

// Processes and load: forks each variant's server into its own process, pins servers and
// the load generator to different cores where the machine allows, drives load with
// autocannon from this process, and checks that every response is the one expected.

const { fork, execFileSync } = require('node:child_process')
const os = require('node:os')
const path = require('node:path')
const autocannon = require('autocannon')

const serverScript = path.join(__dirname, 'server.js')
const readyScript = path.join(__dirname, 'ready.js')

// Load generator on core 0, servers on core 1 (the same core for both sides of a pair,
// so neither side gets a quieter core). Returns a line describing what was done.
function pinning () {
  const cores = os.availableParallelism()
  if (cores < 2) return { pinned: false, note: `not pinned (${cores} core)` }
  try {
    execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' })
  } catch {
    return { pinned: false, note: 'not pinned (taskset unavailable)' }
  }
  return { pinned: true, note: `load generator on core 0, servers on core 1 (of ${cores})` }
}

function forkPinned (script, args, { pinned, nodeFlags = [] }) {
  const options = pinned
    ? { execPath: 'taskset', execArgv: ['-c', '1', process.execPath, ...nodeFlags] }
    : { execArgv: nodeFlags }
  return fork(script, args, options)
}

let lastId = 0

// Sends one question to a server process and waits for its answer.
function ask (child, type) {
  const id = ++lastId
  return new Promise((resolve, reject) => {
    function onMessage (message) {
      if (message.id !== id) return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(message)
    }
    function onExit (code) {
      child.off('message', onMessage)
      reject(new Error(`server exited (code ${code}) before answering "${type}"`))
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
    child.send({ id, type })
  })
}

// `variant#2` is a second process of the same variant (the A/A pair).
async function startServer (variant, { pinned, nodeFlags }) {
  const child = forkPinned(serverScript, [variant.split('#')[0]], { pinned, nodeFlags })
  const port = await new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.port))
    child.once('exit', (code) => reject(new Error(`server "${variant}" exited (code ${code}) before listening`)))
    child.once('error', reject)
  })
  return { variant, child, url: `http://127.0.0.1:${port}` }
}

async function stopServer (server) {
  if (server.child.exitCode !== null) return
  const exited = new Promise((resolve) => server.child.once('exit', resolve))
  server.child.send({ type: 'close' })
  await exited
}

// Time from creating an app to ready(), in a fresh process.
function readyTime (variant, count, { pinned }) {
  const child = forkPinned(readyScript, [variant, String(count)], { pinned })
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.ms))
    child.once('exit', (code) => { if (code !== 0) reject(new Error(`ready "${variant}" exited with code ${code}`)) })
    child.once('error', reject)
  })
}

// Every response must have one of the expected statuses, and none may fail.
function checked (result, server, expected) {
  const counts = result.statusCodeStats ?? {}
  const unexpected = Object.keys(counts).filter((status) => !expected.includes(Number(status)))
  if (result.errors > 0 || result.timeouts > 0 || unexpected.length > 0) {
    const seen = Object.entries(counts).map(([status, { count }]) => `${status} x${count}`).join(', ')
    throw new Error(`${server.variant}: expected status ${expected.join('/')}, got ${seen || 'nothing'}; ${result.errors} errors, ${result.timeouts} timeouts`)
  }
  let answered = 0
  for (const { count } of Object.values(counts)) answered += count
  return answered
}

// autocannon ends a run only on one of its sampling ticks (every second by default),
// which would idle a short run for up to a second: tick every 50 ms instead.
function load (server, requests, options) {
  return autocannon({ url: server.url, connections: 10, sampleInt: 50, requests, ...options })
}

// Requests answered over a fixed duration, and the seconds that took.
async function throughput (server, requests, expected, { pipelining, duration }) {
  const result = await load(server, requests, { pipelining, duration })
  return { answered: checked(result, server, expected), seconds: (result.finish - result.start) / 1000 }
}

// Server CPU (user + system, microseconds) over a fixed number of requests, and how many
// were answered.
async function cpuTime (server, requests, expected, { amount }) {
  await ask(server.child, 'cpu-start')
  const result = await load(server, requests, { pipelining: 1, amount })
  const { micros } = await ask(server.child, 'cpu-stop')
  return { micros, answered: checked(result, server, expected) }
}

// Sends about `amount` requests as fast as the server takes them; returns how many were
// answered. (With `amount`, autocannon closes each connection as soon as it has sent its
// share, dropping the answers still in its pipeline: asking for that many more makes up.)
async function flood (server, requests, expected, amount) {
  const connections = 10
  const pipelining = 10
  const result = await load(server, requests, { connections, pipelining, amount: amount + connections * (pipelining - 1) })
  return checked(result, server, expected)
}

module.exports = {
  pinning,
  ask,
  startServer,
  stopServer,
  readyTime,
  throughput,
  cpuTime,
  flood
}
