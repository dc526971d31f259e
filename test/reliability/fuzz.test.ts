import { test } from 'tap'
import fc from 'fast-check'
import {
  buildTable,
  checkAnswer,
  injectSender,
  nodeMethods,
  rawSender,
  requestArbitrary,
  tableArbitrary,
  type Answer,
  type Send
} from '../helpers/fuzz'
import { listening } from '../helpers/http'

// Property tests over random route tables and random requests. Every answer is held to the
// oracle in checkAnswer: a 405's Allow is exactly the set of methods that, sent to the same
// path, get neither 404, 405 nor 501; a 501 FST_METHOD_NOT_IMPLEMENTED only for a method no
// route has; a 404 never where a route answers; no 5xx other than 501, no crash, no hang.
//
// Seeded and reproducible. FUZZ_SEED and FUZZ_RUNS change the seed and the number of route
// tables (`npm run test:fuzz` runs many more); every table gets `perTable` requests.

const seed = Number(process.env.FUZZ_SEED ?? 20260522)
const tables = Number(process.env.FUZZ_RUNS ?? 400)
const perTable = 25
const rawTables = Math.max(8, Math.round(tables / 20))
const rawPerTable = 12
const answerTimeoutMs = 15000

async function inTime<T> (promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${answerTimeoutMs} ms: ${what}`)), answerTimeoutMs) })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function withDeadline (send: Send): Send {
  return async (method, url, headers) => await inTime(send(method, url, headers), `${method} ${url}`)
}

test(`inject: ${tables} random route tables x ${perTable} random requests (seed ${seed})`, async (t) => {
  const stats = { tables: 0, cases: 0, sweeps: 0, probes: 0, refusedRoutes: 0, statuses: {} as Record<number, number> }
  const started = Date.now()
  const property = fc.asyncProperty(tableArbitrary, fc.integer(), async (spec, subSeed) => {
    const table = await buildTable(spec)
    try {
      stats.tables++
      stats.refusedRoutes += table.refused
      const send = withDeadline(injectSender(table.app))
      const requests = fc.sample(requestArbitrary(table, false), { numRuns: perTable, seed: subSeed })
      const sweeps = new Map<string, Map<string, Answer>>()
      const problems: string[] = []
      for (const request of requests) {
        const answer = await send(request.method, request.url, request.headers)
        stats.cases++
        stats.statuses[answer.status] = (stats.statuses[answer.status] ?? 0) + 1
        problems.push(...await checkAnswer(table, send, request, answer, sweeps, stats, nodeMethods))
      }
      if (problems.length > 0) throw new Error(problems.slice(0, 5).join('\n'))
    } finally {
      await table.app.close()
    }
  })
  await fc.assert(property, { seed, numRuns: tables, endOnFailure: true })
  t.comment(`inject fuzz: seed ${seed}, ${stats.tables} route tables, ${stats.cases} requests checked, ${stats.sweeps} paths swept (${stats.probes} more requests), ${stats.refusedRoutes} generated routes refused by Fastify, statuses ${JSON.stringify(stats.statuses)}, ${Date.now() - started} ms`)
  t.ok(stats.cases >= tables * perTable, `${stats.cases} cases`)
  t.ok(stats.sweeps > tables, 'many answers were checked against a full sweep')
  for (const status of [200, 204, 400, 404, 405, 501]) t.ok((stats.statuses[status] ?? 0) > 0, `the requests reached ${status}`)
})

// Method tokens Node's parser does not know but that are valid tokens (RFC 9110 §9.1): they
// must get 501 from clientErrorHandler. PRI is left out: on an HTTP/1.1 line it is the
// start of the HTTP/2 connection preface, which Node's parser rejects as such.
const unknownTokens = fc.oneof(
  fc.constantFrom('BREW', 'get', 'Get', 'GETX', 'POS', 'M-SEARCHX', 'HTTP', 'FOO', 'X', "!#$%&'*+-.^_`|~",
    'DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT', 'RECORD', 'FLUSH',
    'BASELINE-CONTROL', 'LABEL', 'MKWORKSPACE', 'ORDERPATCH', 'UPDATE', 'VERSION-CONTROL', 'MKREDIRECTREF'),
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789!#$%&\'*+-.^_`|~'), minLength: 1, maxLength: 32 })
).filter((token) => !nodeMethods.includes(token) && token !== 'PRI')
// Not a method: too long, or not a token.
const garbageTokens = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJ'), minLength: 33, maxLength: 60 }),
  fc.tuple(fc.string({ unit: fc.constantFrom(...'ABCDEF'), maxLength: 4 }), fc.constantFrom('@', '(', ')', ',', '/', ':', ';', '<', '=', '>', '?', '[', '\\', ']', '{', '}', '"', '\t', '\x00', '\x7f', 'é'), fc.string({ unit: fc.constantFrom(...'ABCDEF'), maxLength: 4 })).map(([a, bad, b]) => a + bad + b)
)

test(`sockets: ${rawTables} route tables x ${rawPerTable} requests, plus refused and garbage methods (seed ${seed})`, async (t) => {
  const stats = { cases: 0, sweeps: 0, probes: 0, unknown: 0, garbage: 0, statuses: {} as Record<string, number> }
  const property = fc.asyncProperty(tableArbitrary, fc.integer(), async (spec, subSeed) => {
    const table = await buildTable(spec, { clientErrorHandler: true })
    const { port } = await listening(table.app)
    try {
      const send = withDeadline(rawSender(port))
      // Refused methods: the answer, then the server closes the connection.
      const sendAndClose = withDeadline(rawSender(port, { awaitClose: true }))
      const requests = fc.sample(requestArbitrary(table, true), { numRuns: rawPerTable, seed: subSeed })
      const sweeps = new Map<string, Map<string, Answer>>()
      const problems: string[] = []
      const count = (key: string): void => { stats.statuses[key] = (stats.statuses[key] ?? 0) + 1 }
      for (const request of requests) {
        const answer = await send(request.method, request.url, request.headers)
        stats.cases++
        count(String(answer.status))
        problems.push(...await checkAnswer(table, send, request, answer, sweeps, stats, nodeMethods.filter((m) => m !== 'CONNECT')))
      }
      // A request line Node's parser reads up to the version, where it judges the method.
      const path = /^\/[\x21-\x7e]*$/.test(requests[0]?.url ?? '') ? requests[0].url : '/'
      for (const token of fc.sample(unknownTokens, { numRuns: 4, seed: subSeed })) {
        stats.unknown++
        const answer = await sendAndClose(token, path, {})
        count(`${answer.status} (unknown method)`)
        let code: string | undefined
        try { code = JSON.parse(answer.body).code } catch {}
        if (answer.status !== 501 || code !== 'FST_METHOD_NOT_IMPLEMENTED' || answer.headers.connection !== 'close' || answer.headers['x-test-closed'] !== 'true') {
          problems.push(`${JSON.stringify(token)} ${path}: ${answer.status} ${code} Connection: ${answer.headers.connection}, closed: ${answer.headers['x-test-closed']}`)
        }
      }
      for (const token of fc.sample(garbageTokens, { numRuns: 2, seed: subSeed })) {
        stats.garbage++
        const answer = await sendAndClose(token, path, {})
        count(`${answer.status} (garbage method)`)
        if (answer.status !== 400 || answer.headers['x-test-closed'] !== 'true') problems.push(`${JSON.stringify(token)} ${path}: ${answer.status}, closed: ${answer.headers['x-test-closed']}, not 400 and closed`)
      }
      if (problems.length > 0) throw new Error(problems.slice(0, 5).join('\n'))
    } finally {
      await table.app.close()
    }
  })
  await fc.assert(property, { seed, numRuns: rawTables, endOnFailure: true })
  t.comment(`socket fuzz: seed ${seed}, ${rawTables} route tables, ${stats.cases} requests checked, ${stats.sweeps} paths swept (${stats.probes} more requests), ${stats.unknown} unknown-method and ${stats.garbage} garbage-method requests; statuses ${JSON.stringify(stats.statuses)}`)
  t.ok(stats.cases >= rawTables * rawPerTable)
})
