import { relative } from 'node:path'
import { test } from 'tap'
import { root, runCli } from '../helpers/cli'
import auditModule = require('../../dist/audit.js')

// Issue 10, item 15: `audit` counted a spec operation on a literal path as implemented when
// the router would send its URL to a parametric route. The Petstore's `GET /pet/findByTags`
// against an app with `GET /v2/pet/:petId` and no findByTags: "no drift". A literal of the
// spec is matched only by a literal of the route; a parameter only by a parameter (or by a
// trailing wildcard); the route that answers instead is named, and never asked (its
// handler would run).

const { corresponds } = auditModule as unknown as { corresponds: (specPath: string, routePath: string) => boolean }

const petstore = relative(root, require.resolve('@readme/oas-examples/3.0/json/petstore.json'))

test('the Petstore without findByTags reports it, answered by /v2/pet/:petId', async (t) => {
  const res = await runCli(['audit', 'test/fixtures/petstore-no-find-by-tags.cjs', '--openapi', petstore])
  t.equal(res.code, 1)
  t.equal(res.stderr, '')
  t.equal(res.stdout, `audit of test/fixtures/petstore-no-find-by-tags.cjs against ${petstore} (OpenAPI 3.0.0 "Swagger Petstore", 20 operations)

In the spec, not implemented by the app (1):
  GET  /v2/pet/findByTags  answered by the route /v2/pet/:petId

drift: 1 difference
`)

  const json = await runCli(['audit', 'test/fixtures/petstore-no-find-by-tags.cjs', '--openapi', petstore, '--json'])
  t.equal(json.code, 1)
  t.equal(json.stderr, '')
  t.same(JSON.parse(json.stdout), {
    spec: { file: petstore, version: '3.0.0', title: 'Swagger Petstore', operations: 20 },
    missing: [{ method: 'GET', path: '/v2/pet/findByTags', answeredBy: { route: '/v2/pet/:petId', catchAll: false } }],
    undocumented: [],
    disagreements: [],
    lifecycle: [],
    drift: 1
  })
})

test('literals, parameters, wildcards, regex parameters, a trailing slash and an unlisted route', async (t) => {
  const res = await runCli(['audit', 'test/fixtures/literal-segments.cjs', '--openapi', 'test/fixtures/specs/literal-segments.yaml'])
  t.equal(res.code, 1)
  t.equal(res.stderr, '')
  t.equal(res.stdout, `audit of test/fixtures/literal-segments.cjs against test/fixtures/specs/literal-segments.yaml (OpenAPI 3.0.3 "Literal segments", 9 operations)

In the spec, not implemented by the app (4):
  GET  /users/{id}         404 Not Found
  GET  /files/readme       answered by the route /files/*
  GET  /reports/{period}   answered by the route /reports/:year-:month
  GET  /meta/capabilities  answered by a route the capability matrix does not list

Implemented by the app, not in the spec (1):
  GET  /users/me

drift: 5 differences
`)

  const json = await runCli(['audit', 'test/fixtures/literal-segments.cjs', '--openapi', 'test/fixtures/specs/literal-segments.yaml', '--json'])
  t.same(JSON.parse(json.stdout).missing, [
    { method: 'GET', path: '/users/{id}', status: 404 },
    { method: 'GET', path: '/files/readme', answeredBy: { route: '/files/*', catchAll: false } },
    { method: 'GET', path: '/reports/{period}', answeredBy: { route: '/reports/:year-:month', catchAll: false } },
    { method: 'GET', path: '/meta/capabilities', answeredBy: { route: null, catchAll: false } }
  ])
})

test('how a spec path and a route path correspond', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['/pet/{petId}', '/pet/:id', true],
    ['/pet/findByTags', '/pet/:petId', false],
    ['/pet/findByTags', '/pet/findByTags', true],
    ['/users/{id}', '/users/me', false],
    ['/codes/{code}', '/codes/:code(^\\d+$)', true],
    ['/batch:run', '/batch::run', true],
    ['/reports/{year}-{month}', '/reports/:year-:month', true],
    ['/reports/{period}', '/reports/:year-:month', false],
    ['/docs/{name}.json', '/docs/:name', false],
    ['/files/{path}', '/files/*', true],
    ['/files/{dir}/{name}', '/files/*', true],
    ['/files/{dir}/{name}', '/files*', true],
    ['/files/readme', '/files/*', false],
    ['/files/{dir}/meta', '/files/*', false],
    ['/files/', '/files/*', false],
    ['/filesx/{name}', '/files*', false],
    ['/other/{name}', '/files/*', false],
    ['/{path}', '/*', false],
    ['/{path}', '*', false],
    ['/about', '/*', false]
  ]
  for (const [specPath, routePath, expected] of cases) {
    t.equal(corresponds(specPath, routePath), expected, `${specPath} and ${routePath}`)
  }
})
