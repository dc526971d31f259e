import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('../..')
import { startUpError } from '../helpers/lifecycle'

// Date.parse rolls an impossible calendar date over instead of refusing it: a deprecation
// `date: '2026-02-30'` was taken for 2 March (`Deprecation: @1772409600`), `sunset:
// '2026-02-31'` retired the endpoint on 3 March, and `T24:00:00Z` meant the next day. The
// app started and announced dates nobody wrote. Such a date now fails at start-up, naming the
// route and the field, as an unparsable one does.

const refusal = startUpError

test('an impossible day or time fails at start-up, naming the route and the field', async (t) => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['30 February', { date: '2026-02-30' }, 'config.deprecation.date is no such day or time: "2026-02-30" would be read as 2026-03-02T00:00:00.000Z'],
    ['31 February as the sunset', { date: '2026-01-01', sunset: '2026-02-31' }, 'config.deprecation.sunset is no such day or time: "2026-02-31" would be read as 2026-03-03T00:00:00.000Z'],
    ['29 February of a common year', { date: '2025-02-29T12:00:00Z' }, 'config.deprecation.date is no such day or time: "2025-02-29T12:00:00Z" would be read as 2025-03-01T12:00:00.000Z'],
    ['31 April with an offset', { date: '2026-04-31T00:30:00+01:00' }, 'config.deprecation.date is no such day or time: "2026-04-31T00:30:00+01:00" would be read as 2026-04-30T23:30:00.000Z'],
    ['hour 24', { date: '2025-01-01T24:00:00Z' }, 'config.deprecation.date is no such day or time: "2025-01-01T24:00:00Z" would be read as 2025-01-02T00:00:00.000Z'],
    ['hour 24 with no seconds, behind UTC', { date: '2025-01-01T24:00-05:00' }, 'config.deprecation.date is no such day or time: "2025-01-01T24:00-05:00" would be read as 2025-01-02T05:00:00.000Z']
  ]
  for (const [name, deprecation, message] of cases) {
    const error = await refusal(deprecation)
    t.type(error, TypeError, name)
    t.equal((error as Error).message, `fastify-not-implemented: route GET /old: ${message}`, name)
  }
})

test('real days and times, in any offset, still start and announce what was written', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['29 February of a leap year', '2028-02-29', '@1835395200'],
    ['an offset that moves the day back in UTC', '2026-03-01T00:30:00+01:00', '@1772321400'],
    ['an offset that moves the day on in UTC', '2026-02-28T23:30-01:00', '@1772325000'],
    ['the end of a day, lower-case and with fractions', '2026-12-31t23:59:59.999z', '@1798761599'],
    ['a space between date and time', '2026-06-30 12:00:00Z', '@1782820800']
  ]
  for (const [name, date, header] of cases) {
    const app = Fastify()
    await app.register(notImplemented)
    app.get('/old', { config: { deprecation: { date } } }, async () => 'old')
    const response = await app.inject('/old')
    t.equal(response.statusCode, 200, name)
    t.equal(response.headers.deprecation, header, name)
    await app.close()
  }
})
