import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('fastify-not-implemented')
import { runCli } from '../helpers/cli'

// Issue 10, item 17: `audit --json` emitted the strings the table shows (`"app": "\"plus\""`,
// `"allow": "GET, HEAD, OPTIONS"`), and `parity --json` named each capability with its
// table text (`"POST /pets [tier plus]"`). JSON carries values: tiers and features as plain
// strings (null where there is none), `allow` as a list of methods, statuses as numbers,
// flags as booleans. The tables a person reads stay as they were.

const app = 'test/fixtures/json-values.cjs'
const spec = 'test/fixtures/specs/json-values.yaml'

test('audit --json: values, exactly', async (t) => {
  const res = await runCli(['audit', app, '--openapi', spec, '--json'])
  t.equal(res.code, 1)
  t.equal(res.stderr, '')
  const expected = {
    spec: { file: spec, version: '3.1.0', title: 'Values', operations: 8 },
    missing: [
      { method: 'POST', path: '/pets', status: 405, code: 'FST_METHOD_NOT_ALLOWED', allow: ['GET', 'HEAD', 'OPTIONS'] },
      { method: 'GET', path: '/gone', status: 404 }
    ],
    undocumented: [
      { method: 'GET', path: '/admin', implemented: true, tier: 'pro', feature: 'admin' },
      { method: 'PUT', path: '/later', implemented: false }
    ],
    disagreements: [
      { method: 'GET', path: '/reports', field: 'x-tier', spec: 'plus', app: ['pro'] },
      { method: 'GET', path: '/search', field: 'x-tier', spec: 'plus', app: ['plus', null] },
      { method: 'GET', path: '/beta', field: 'x-feature', spec: 'beta', app: [null] },
      { method: 'POST', path: '/built', field: 'x-not-implemented', spec: true, app: false }
    ],
    lifecycle: [],
    drift: 8
  }
  t.equal(res.stdout, JSON.stringify(expected, null, 2) + '\n')
})

test('audit without --json: the table a person reads is unchanged', async (t) => {
  const res = await runCli(['audit', app, '--openapi', spec])
  t.equal(res.code, 1)
  t.equal(res.stderr, '')
  t.equal(res.stdout, `audit of ${app} against ${spec} (OpenAPI 3.1.0 "Values", 8 operations)

In the spec, not implemented by the app (2):
  POST  /pets  405 FST_METHOD_NOT_ALLOWED (Allow: GET, HEAD, OPTIONS)
  GET   /gone  404 Not Found

Implemented by the app, not in the spec (2):
  GET  /admin  tier pro, feature admin
  PUT  /later  not built

Annotations that disagree (4):
  GET   /reports  x-tier: spec "plus", app "pro"
  GET   /search   x-tier: spec "plus", app "plus", (none)
  GET   /beta     x-feature: spec "beta", app (none)
  POST  /built    x-not-implemented: spec true, app implemented

drift: 8 differences
`)
})

test('matrix --json: the matrix capabilities() returns, values already', async (t) => {
  const res = await runCli(['matrix', 'test/fixtures/gated.cjs', '--json'])
  t.equal(res.code, 0)
  t.equal(res.stderr, '')
  const matrix = JSON.parse(res.stdout) as { digest: string, routes: Array<{ path: string, methods: object[] }> }
  t.match(matrix.digest, /^[0-9a-f]{64}$/)
  const byPath = Object.fromEntries(matrix.routes.map((route) => [route.path, route.methods]))
  t.same(byPath['/pets'], [
    { method: 'GET', implemented: true },
    { method: 'HEAD', implemented: true },
    { method: 'POST', implemented: true, tier: 'plus' },
    { method: 'OPTIONS', implemented: true }
  ])
  t.same(byPath['/pets/:petId'][2], { method: 'DELETE', implemented: false })
  t.same(byPath['/search'][0], { method: 'GET', implemented: true, versions: ['1.0.0', '2.0.0'] })
  t.same(byPath['/internal/health'][0], { method: 'GET', implemented: true, hidden: true })
})

test('parity --json: each capability as values', async (t) => {
  const build = async (tier: string): Promise<string> => {
    const instance = Fastify()
    t.teardown(() => instance.close())
    await instance.register(notImplemented, { tiers: ['free', 'plus', 'pro'], resolveTier: () => 'pro', capabilitiesRoute: '/caps' })
    instance.post('/pets', { config: { tier } }, async () => ({}))
    const origin = await instance.listen({ host: '127.0.0.1', port: 0 })
    return `${origin}/caps`
  }
  const a = await build('plus')
  const b = await build('pro')
  const res = await runCli(['parity', a, b, '--json'])
  t.equal(res.code, 1)
  t.equal(res.stderr, '')
  const report = JSON.parse(res.stdout) as { differences: unknown }
  t.same(report.differences, [
    { capability: { path: '/pets', method: 'POST', implemented: true, tier: 'plus' }, presentOn: [a], missingOn: [b] },
    { capability: { path: '/pets', method: 'POST', implemented: true, tier: 'pro' }, presentOn: [b], missingOn: [a] }
  ])
  const text = await runCli(['parity', a, b])
  t.match(text.stdout, `\n  POST /pets [tier plus]  missing on ${b}\n  POST /pets [tier pro]   missing on ${a}\n`)
})
