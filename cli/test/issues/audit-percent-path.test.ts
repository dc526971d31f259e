import { test } from 'tap'
import { runCli } from '../helpers/cli'

// `audit` skipped a spec operation whose path holds a `%` not followed by two hex digits
// (`/discounts/50%`): the router answers such a URL with its bad-URL handler and no
// parameters, which passed for a route that captured none, and the operation was dropped:
// "no drift", exit 0, while a client gets 400 FST_ERR_BAD_URL. A URL that does not decode
// reaches no route, even one written with the same literal `%`: the operation is missing,
// with the status a client gets. `%25` is the encoding of `%`: the route `/discounts/50%`
// serves `/discounts/50%25`, and implements it. A capture longer than maxParamLength is
// refused the same way (414), and is no route either.

const app = 'test/fixtures/percent-paths.cjs'
const spec = 'test/fixtures/specs/percent-paths.yaml'

test('a literal % is missing with the 400 a client gets; %25 is implemented by the route with %', async (t) => {
  const res = await runCli(['audit', app, '--openapi', spec])
  t.equal(res.code, 1)
  t.equal(res.stderr, '')
  t.equal(res.stdout, `audit of ${app} against ${spec} (OpenAPI 3.1.0 "Percent paths", 5 operations)

In the spec, not implemented by the app (3):
  GET  /discounts/50%     400 FST_ERR_BAD_URL
  GET  /reports/{id}%     400 FST_ERR_BAD_URL
  GET  /docs/{name}.json  414 FST_ERR_MAX_PARAM_LENGTH

Implemented by the app, not in the spec (1):
  GET  /docs/:name

drift: 4 differences
`)

  const json = await runCli(['audit', app, '--openapi', spec, '--json'])
  t.equal(json.code, 1)
  t.same(JSON.parse(json.stdout), {
    spec: { file: spec, version: '3.1.0', title: 'Percent paths', operations: 5 },
    missing: [
      { method: 'GET', path: '/discounts/50%', status: 400, code: 'FST_ERR_BAD_URL' },
      { method: 'GET', path: '/reports/{id}%', status: 400, code: 'FST_ERR_BAD_URL' },
      { method: 'GET', path: '/docs/{name}.json', status: 414, code: 'FST_ERR_MAX_PARAM_LENGTH' }
    ],
    undocumented: [{ method: 'GET', path: '/docs/:name', implemented: true }],
    disagreements: [],
    lifecycle: [],
    drift: 4
  })
})
