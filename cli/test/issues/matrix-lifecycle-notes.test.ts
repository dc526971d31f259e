import { test } from 'tap'
import { runCli } from '../helpers/cli'

// `matrix` showed a retired endpoint (`gone: true`, or past its sunset: it answers 410) as a
// plain "yes", and a deprecated one without its dates, which `--json` lists. The notes
// column says them: `gone (410)`, `deprecated 2020-01-01, sunset 2021-01-01`; a date at
// midnight UTC reads as the bare date the app was configured with.

test('matrix notes a deprecation with its dates and a retired endpoint with its 410', async (t) => {
  const res = await runCli(['matrix', 'test/fixtures/lifecycle.cjs'])
  t.equal(res.code, 0)
  t.equal(res.stderr, '')
  const table = res.stdout.slice(0, res.stdout.indexOf('\n\n') + 1)
  t.equal(table, `PATH         METHOD   IMPLEMENTED  TIER  FEATURE  VERSIONS
/archive     GET      yes          -     -        -         gone (410)
             HEAD     yes          -     -        -         gone (410)
             OPTIONS  yes          -     -        -
/customers   GET      yes          -     -        -
             HEAD     yes          -     -        -
             OPTIONS  yes          -     -        -
/invoices    GET      yes          -     -        -         deprecated 2020-01-01
             HEAD     yes          -     -        -         deprecated 2020-01-01
             OPTIONS  yes          -     -        -
/legacy      GET      yes          -     -        -         gone (410)
             HEAD     yes          -     -        -         gone (410)
             OPTIONS  yes          -     -        -
/orders      GET      yes          -     -        -         deprecated 2020-01-01, sunset 2021-01-01, gone (410)
             HEAD     yes          -     -        -         deprecated 2020-01-01, sunset 2021-01-01, gone (410)
             POST     yes          -     -        -         gone (410)
             OPTIONS  yes          -     -        -
/orders/:id  PUT      yes          -     -        -         deprecated 2020-01-01, sunset 2999-01-01
             DELETE   yes          -     -        -         deprecated 2020-01-01, sunset 2999-01-01
             OPTIONS  yes          -     -        -
/reports     GET      yes          -     -        -
             HEAD     yes          -     -        -
             OPTIONS  yes          -     -        -
`)
})
