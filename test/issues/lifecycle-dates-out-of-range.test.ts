import { test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('../..')
import { startUpError } from '../helpers/lifecycle'

// A Date object skips the ISO string check, and nothing bounded its year: a sunset of
// `new Date('+010000-01-01T00:00:00Z')` went out as `Sunset: Sat, 01 Jan 10000 00:00:00 GMT`,
// which is no IMF-fixdate (four-digit year, RFC 9110 §5.6.7), and a deprecation date in year
// -1 as `Deprecation: @-62198755200`. A client could not read the one and was told nonsense by
// the other. A date outside 1970-01-01 .. 9999-12-31 (UTC), as a Date or a string, now fails
// at start-up naming the route and the field, as an invalid Date does.

const refusal = startUpError

const range = 'must be between 1970-01-01 and 9999-12-31 (UTC), got'

test('a date outside the years the headers can carry fails at start-up, naming the route and the field', async (t) => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['a sunset Date in year 10000', { date: '2025-01-01', sunset: new Date('+010000-01-01T00:00:00Z') }, `config.deprecation.sunset ${range} +010000-01-01T00:00:00.000Z`],
    ['a deprecation Date in year -1', { date: new Date(Date.UTC(-1, 0, 1)) }, `config.deprecation.date ${range} -000001-01-01T00:00:00.000Z`],
    ['a deprecation Date just before the epoch', { date: new Date(-1) }, `config.deprecation.date ${range} 1969-12-31T23:59:59.999Z`],
    ['a deprecation string before the epoch', { date: '1969-12-31' }, `config.deprecation.date ${range} "1969-12-31"`],
    ['a sunset string past 9999 in UTC', { date: '2025-01-01', sunset: '9999-12-31T23:00:00-01:00' }, `config.deprecation.sunset ${range} "9999-12-31T23:00:00-01:00"`],
    ['an invalid sunset Date', { date: '2025-01-01', sunset: new Date('x') }, 'config.deprecation.sunset must be a Date or an ISO 8601 date ("2026-01-31" or "2026-01-31T12:00:00Z"), got Invalid Date']
  ]
  for (const [name, deprecation, message] of cases) {
    const error = await refusal(deprecation)
    t.type(error, TypeError, name)
    t.equal((error as Error).message, `fastify-not-implemented: route GET /old: ${message}`, name)
  }
})

test('the first and last moments of the range still start, with headers as written', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/old', { config: { deprecation: { date: new Date(0), sunset: new Date('9999-12-31T23:59:59.999Z') } } }, async () => 'old')
  app.get('/strings', { config: { deprecation: { date: '1970-01-01T00:00:00Z', sunset: '9999-12-31' } } }, async () => 'old')
  t.teardown(() => app.close())
  const dates = await app.inject('/old')
  t.equal(dates.statusCode, 200)
  t.equal(dates.headers.deprecation, '@0')
  t.equal(dates.headers.sunset, 'Fri, 31 Dec 9999 23:59:59 GMT')
  const strings = await app.inject('/strings')
  t.equal(strings.statusCode, 200)
  t.equal(strings.headers.deprecation, '@0')
  t.equal(strings.headers.sunset, 'Fri, 31 Dec 9999 00:00:00 GMT')
})
