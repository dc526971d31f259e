import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'tap'
import { runCli } from './helpers/cli'

// `audit` against a spec with deprecated and retired operations: where the spec and the app
// place an operation at different stages of its life, that is drift.

interface Report {
  missing: unknown[]
  undocumented: unknown[]
  disagreements: unknown[]
  lifecycle: Array<{ method: string, path: string, spec: string, app: string }>
  drift: number
}

test('audit reports operations the spec lists as live that the app retired, and the other way round', async (t) => {
  const res = await runCli(['audit', 'test/fixtures/lifecycle.cjs', '--openapi', 'test/fixtures/specs/lifecycle.yaml', '--json'])
  t.equal(res.code, 1, 'drift: exit 1')
  t.equal(res.stderr, '')
  const report = JSON.parse(res.stdout) as Report
  t.same(report.lifecycle, [
    { method: 'GET', path: '/orders', spec: 'live', app: 'retired' },
    { method: 'GET', path: '/reports', spec: 'retired', app: 'live' },
    { method: 'GET', path: '/customers', spec: 'deprecated', app: 'live' },
    { method: 'PUT', path: '/orders/{id}', spec: 'live', app: 'deprecated' }
  ])
  // Retired in both (x-sunset passed, x-gone, a spec with only the 410), deprecated in both,
  // and a retired route the spec leaves out: none of them is drift.
  t.same(report.missing, [])
  t.same(report.undocumented, [])
  t.same(report.disagreements, [])
  t.equal(report.drift, 4)

  const text = await runCli(['audit', 'test/fixtures/lifecycle.cjs', '--openapi', 'test/fixtures/specs/lifecycle.yaml'])
  t.equal(text.code, 1)
  t.equal(text.stdout, `audit of test/fixtures/lifecycle.cjs against test/fixtures/specs/lifecycle.yaml (OpenAPI 3.1.0 "Orders", 8 operations)

Life cycle that disagrees (4):
  GET  /orders       spec live, app retired
  GET  /reports      spec retired, app live
  GET  /customers    spec deprecated, app live
  PUT  /orders/{id}  spec live, app deprecated

drift: 4 differences
`)
})

test('the document @fastify/swagger makes of an app with deprecated and retired routes audits clean against it', async (t) => {
  const build = require('./fixtures/lifecycle.cjs') as (options: { swagger: boolean }) => Promise<{ ready: () => Promise<unknown>, swagger: () => unknown, close: () => Promise<unknown> }>
  const app = await build({ swagger: true })
  await app.ready()
  const dir = await mkdtemp(join(tmpdir(), 'fni-lifecycle-'))
  t.teardown(async () => {
    await app.close()
    await rm(dir, { recursive: true })
  })
  const file = join(dir, 'openapi.json')
  await writeFile(file, JSON.stringify(app.swagger()))
  const res = await runCli(['audit', 'test/fixtures/lifecycle.cjs', '--openapi', file, '--json'])
  t.equal(res.stderr, '')
  const report = JSON.parse(res.stdout) as Report
  t.same(report.lifecycle, [])
  t.equal(report.drift, 0)
  t.equal(res.code, 0)
})
