import { test } from 'tap'
import { runCli } from '../helpers/cli'

// `audit` named the first listed route of the same shape as the one that answers a missing
// operation: with both `/*` and `/files/*`, `GET /files/readme.txt` was "answered by the
// route /*". The route named is the one whose parameters the router bound, to the same values.
test('of two wildcards, the route named is the one the router sends the URL to', async (t) => {
  const res = await runCli(['audit', 'test/fixtures/nested-wildcards.cjs', '--openapi', 'test/fixtures/nested-wildcards.yaml', '--json'])
  t.equal(res.stderr, '')
  t.equal(res.code, 1)
  t.same(JSON.parse(res.stdout).missing, [
    { method: 'GET', path: '/files/readme.txt', answeredBy: { route: '/files/*', catchAll: false } },
    { method: 'GET', path: '/about', answeredBy: { route: '/*', catchAll: true } }
  ])
})
