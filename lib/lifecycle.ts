import type { RouteOptions } from 'fastify'
import { describeRoute } from './route-gate'

// Where one route is in its life: deprecated (still answering, with a date it was
// deprecated and maybe a sunset), or gone. Read and checked once, at registration, with the
// header values the route's responses will carry already made.
export interface Lifecycle {
  // `gone: true`: retired from the start, answers 410 FST_ENDPOINT_GONE.
  gone: boolean
  // Milliseconds since the epoch; undefined without `deprecation`.
  deprecation: number | undefined
  sunset: number | undefined
  link: string | undefined
  // The headers every response of the route carries (RFC 9745, RFC 8594); empty for a
  // route that is gone without a `deprecation`.
  headers: LifecycleHeaders
}

export interface LifecycleHeaders {
  deprecation?: string
  sunset?: string
  // `<link>; rel="deprecation"`, added to any Link the handler sets.
  link?: string
}

const deprecationKeys = new Set(['date', 'sunset', 'link'])
// RFC 3339 (the ISO 8601 profile of the Internet): a date, or a date and a time with its
// offset. A time without one would be read in the server's own time zone, so each server of
// a fleet in another zone would retire the endpoint at another moment.
// Captured: year, month, day; hour, minute, second; the offset's sign, hours and minutes.
const isoDate = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:[Zz]|([+-])(\d{2}):(\d{2})))?$/
// The dates both headers can carry: a Sunset is an IMF-fixdate, whose year has four digits
// (RFC 9110 §5.6.7), and a date before the epoch, a negative Deprecation, is no date an
// endpoint was deprecated on but a mistake in the config.
const earliest = Date.UTC(1970, 0, 1)
const latest = Date.UTC(9999, 11, 31, 23, 59, 59, 999)
// A URI reference as it may stand between `<` and `>` in a Link header (RFC 8288): visible
// ASCII, no spaces, no angle brackets; nothing that could end the header line (CR, LF).
const linkTarget = /^[\x21-\x3b\x3d\x3f-\x7e]+$/

function fail (route: RouteOptions, message: string): never {
  throw new TypeError(`fastify-not-implemented: route ${describeRoute(route)}: ${message}`)
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// An invalid Date shows as "Invalid Date"; JSON would show it as null.
function show (value: unknown): string {
  return value instanceof Date ? String(value) : JSON.stringify(value) ?? String(value)
}

// Date.parse rolls an impossible day or time over ("2026-02-30" is 2 March, "T24:00" the next
// day), so a route would be deprecated or retired on a day nobody wrote. Read back, the
// fields of the moment parsed (in the offset written) must be those written.
function asWritten (written: RegExpExecArray, time: number): boolean {
  const [, year, month, day, hour, minute, second, sign, offsetHours, offsetMinutes] = written
  const offset = sign === undefined ? 0 : Number(sign + '1') * (Number(offsetHours) * 60 + Number(offsetMinutes))
  const wall = new Date(time + offset * 60000)
  const fields: Array<[string | undefined, number]> = [
    [year, wall.getUTCFullYear()],
    [month, wall.getUTCMonth() + 1],
    [day, wall.getUTCDate()],
    [hour, wall.getUTCHours()],
    [minute, wall.getUTCMinutes()],
    [second, wall.getUTCSeconds()]
  ]
  return fields.every(([text, read]) => text === undefined || Number(text) === read)
}

function timeOf (route: RouteOptions, name: string, value: unknown): number {
  let time = Number.NaN
  const written = typeof value === 'string' ? isoDate.exec(value) : null
  if (value instanceof Date) time = value.getTime()
  else if (written !== null) time = Date.parse(written[0])
  if (!Number.isFinite(time)) {
    fail(route, `config.deprecation.${name} must be a Date or an ISO 8601 date ("2026-01-31" or "2026-01-31T12:00:00Z"), got ${show(value)}`)
  }
  if (written !== null && !asWritten(written, time)) {
    fail(route, `config.deprecation.${name} is no such day or time: ${show(value)} would be read as ${new Date(time).toISOString()}`)
  }
  if (time < earliest || time > latest) {
    fail(route, `config.deprecation.${name} must be between 1970-01-01 and 9999-12-31 (UTC), got ${written === null ? new Date(time).toISOString() : show(value)}`)
  }
  return time
}

// Returns undefined for a route with neither `deprecation` nor `gone: true`, which then
// carries no hook at all. Bad configuration throws here, at start-up, naming the route.
export function readLifecycle (route: RouteOptions): Lifecycle | undefined {
  const config = route.config as Record<string, unknown> | undefined
  if (config == null) return undefined
  const { deprecation, gone } = config
  if (gone !== undefined && typeof gone !== 'boolean') fail(route, `config.gone must be a boolean, got ${show(gone)}`)
  if (deprecation === undefined && gone !== true) return undefined
  if (config.implemented === false) {
    fail(route, `config.${gone === true ? 'gone' : 'deprecation'} and config.implemented: false contradict each other: an endpoint not built yet (501) is neither deprecated nor retired (410)`)
  }

  const lifecycle: Lifecycle = { gone: gone === true, deprecation: undefined, sunset: undefined, link: undefined, headers: {} }
  if (deprecation === undefined) return lifecycle
  if (!isPlainObject(deprecation)) fail(route, `config.deprecation must be an object such as { date, sunset, link }, got ${show(deprecation)}`)
  for (const key of Object.keys(deprecation)) {
    if (!deprecationKeys.has(key)) fail(route, `config.deprecation has an unknown key "${key}"; known keys: ${[...deprecationKeys].join(', ')}`)
  }
  const date = timeOf(route, 'date', deprecation.date)
  lifecycle.deprecation = date
  // RFC 9745 §2.1: a Structured Field Date, whole seconds since the epoch.
  lifecycle.headers.deprecation = `@${Math.floor(date / 1000)}`
  if (deprecation.sunset !== undefined) {
    const sunset = timeOf(route, 'sunset', deprecation.sunset)
    if (sunset < date) {
      fail(route, `config.deprecation.sunset (${new Date(sunset).toISOString()}) is before config.deprecation.date (${new Date(date).toISOString()})`)
    }
    lifecycle.sunset = sunset
    // RFC 8594 §3: an HTTP-date, whose preferred form (IMF-fixdate) is what toUTCString writes.
    lifecycle.headers.sunset = new Date(sunset).toUTCString()
  }
  if (deprecation.link !== undefined) {
    const link = deprecation.link
    if (typeof link !== 'string' || !linkTarget.test(link)) {
      fail(route, `config.deprecation.link must be a URI (visible ASCII, no spaces, "<" or ">"), got ${show(link)}`)
    }
    lifecycle.link = link
    // RFC 9745 §3: the link relation `deprecation` points at what the deprecation means.
    lifecycle.headers.link = `<${link}>; rel="deprecation"`
  }
  return lifecycle
}

// Whether two readings of a route's config ask the same life cycle of the plugin.
export function sameLifecycle (a: Lifecycle | undefined, b: Lifecycle | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.gone === b.gone && a.deprecation === b.deprecation && a.sunset === b.sunset && a.link === b.link
}
