import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('..')
import { logCapture, type LogLine } from './helpers/gating'

// One line per decision through request.log, at the level the app chose, with what an
// operator needs; never the credential that identified the caller.

const secret = 'sk_live_plus_0123456789'

async function build (logLevel?: string, level = 'info') {
  const { lines, stream } = logCapture()
  const app = Fastify({ logger: { level, stream } })
  await app.register(notImplemented, {
    tiers: ['free', 'plus'],
    resolveTier: (request) => (request.headers.authorization === `Bearer ${secret}` ? 'free' : undefined),
    ...(logLevel === undefined ? {} : { logLevel: logLevel as 'debug' })
  })
  app.get('/reports', { config: { tier: 'plus' } }, async () => ({}))
  app.post('/reports/:id', async () => ({}))
  return { app, lines }
}

const decisions = (lines: readonly LogLine[]): Array<Record<string, any>> => lines.filter((line) => line.notImplemented !== undefined)

test('a denied caller: one info line with code, method, route, tier asked and held, and no secret', async (t) => {
  const { app, lines } = await build()
  t.teardown(() => app.close())
  await app.inject({ method: 'GET', url: '/reports?x=1', headers: { authorization: `Bearer ${secret}` } })
  const [line, ...more] = decisions(lines)
  t.equal(more.length, 0)
  t.equal(line.level, 30)
  t.same(line.notImplemented, {
    code: 'FST_TIER_REQUIRED',
    statusCode: 501,
    method: 'GET',
    url: '/reports?x=1',
    route: '/reports',
    tierRequired: 'plus',
    tierHeld: 'free'
  })
  t.notMatch(JSON.stringify(lines), secret, 'the credential is never logged')
})

test('405 and 501 on the not-found path each log one line', async (t) => {
  const { app, lines } = await build()
  t.teardown(() => app.close())
  await app.inject({ method: 'POST', url: '/reports' })
  await app.inject({ method: 'PROPFIND', url: '/reports' })
  t.same(decisions(lines).map((line) => [line.notImplemented.code, line.notImplemented.method, line.msg]), [
    ['FST_METHOD_NOT_ALLOWED', 'POST', 'Method POST is not allowed on /reports'],
    ['FST_METHOD_NOT_IMPLEMENTED', 'PROPFIND', 'Method PROPFIND is not implemented by this server']
  ])
})

test('logLevel chooses the level: debug lines are dropped by an info logger', async (t) => {
  const quiet = await build('debug')
  t.teardown(() => quiet.app.close())
  await quiet.app.inject({ method: 'POST', url: '/reports' })
  t.equal(decisions(quiet.lines).length, 0)

  const verbose = await build('debug', 'debug')
  t.teardown(() => verbose.app.close())
  await verbose.app.inject({ method: 'POST', url: '/reports' })
  const [line] = decisions(verbose.lines)
  t.equal(line.level, 20)
})

test("logLevel 'silent' logs no decision", async (t) => {
  const { app, lines } = await build('silent', 'trace')
  t.teardown(() => app.close())
  await app.inject({ method: 'POST', url: '/reports' })
  await app.inject({ method: 'GET', url: '/reports' })
  t.equal(decisions(lines).length, 0)
})
