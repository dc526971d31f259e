import { METHODS } from 'node:http'
import fc from 'fast-check'
import Fastify, { type FastifyInstance, type HTTPMethods } from 'fastify'
import notImplemented = require('../..')
import { rawExchange } from './http'

// Random route tables, random requests against them, and the oracle every answer is held to.

// Every method Node's parser accepts. CONNECT asks for a tunnel: over a socket Node hands it
// to the server's 'connect' event and never to Fastify, so the socket tests leave it out.
export const nodeMethods: readonly string[] = METHODS
const fastifyMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'QUERY']
// Methods an app may add with `addHttpMethod`.
const extraMethods = ['PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'REPORT', 'SEARCH', 'PURGE']

export interface RouteSpec {
  url: string
  methods: string[] | 'all'
}

export interface TableSpec {
  extraMethods: string[]
  routes: RouteSpec[]
  autoOptions: boolean
  exposeHeadRoutes: boolean
  ignoreTrailingSlash: boolean
  ignoreDuplicateSlashes: boolean
  caseSensitive: boolean
}

const staticSegment = fc.constantFrom('a', 'b', 'users', 'items', 'v1', 'files', 'x-y', 'é', 'A', '日本')
const paramSegment = fc.constantFrom(':id', ':name', ':id(^\\d+)', ':from-:to')
const segment = fc.oneof({ weight: 7, arbitrary: staticSegment }, { weight: 3, arbitrary: paramSegment })

const routeUrl = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(fc.array(segment, { minLength: 0, maxLength: 4 }), fc.constantFrom('', '', '', '/', '/*')).map(([segments, end]) => '/' + segments.join('/') + (segments.length > 0 ? end : (end === '/*' ? '*' : ''))) },
  { weight: 1, arbitrary: fc.constantFrom('*', '/*') }
)

export const tableArbitrary: fc.Arbitrary<TableSpec> = fc.record({
  extraMethods: fc.subarray(extraMethods, { maxLength: 4 }),
  routes: fc.array(fc.record({
    url: routeUrl,
    methods: fc.oneof(
      { weight: 9, arbitrary: fc.subarray([...fastifyMethods, ...extraMethods], { minLength: 1, maxLength: 4 }) },
      { weight: 1, arbitrary: fc.constant('all' as const) }
    )
  }), { minLength: 1, maxLength: 8 }),
  autoOptions: fc.boolean(),
  exposeHeadRoutes: fc.boolean(),
  ignoreTrailingSlash: fc.boolean(),
  ignoreDuplicateSlashes: fc.boolean(),
  caseSensitive: fc.boolean()
})

export interface BuiltTable {
  app: FastifyInstance
  // Every method some route answers (as Fastify registered them, HEAD routes included).
  implemented: Set<string>
  spec: TableSpec
  // Routes Fastify refused (duplicates, conflicting parameters): left out of the table.
  refused: number
}

// A route Fastify refuses (a duplicate, conflicting parameters) may leave its other methods
// half registered, which an app that starts anyway would never do: such a route is left
// out and the app is built again without it.
export async function buildTable (spec: TableSpec, options: { clientErrorHandler?: boolean } = {}): Promise<BuiltTable> {
  let routes = spec.routes
  for (let refused = 0; ; refused++) {
    const built = await tryBuild({ ...spec, routes }, options)
    if (typeof built !== 'number') return { ...built, spec: { ...spec, routes }, refused }
    routes = routes.filter((_, i) => i !== built)
  }
}

async function tryBuild (spec: TableSpec, options: { clientErrorHandler?: boolean }): Promise<Omit<BuiltTable, 'refused'> | number> {
  const app = Fastify({
    exposeHeadRoutes: spec.exposeHeadRoutes,
    routerOptions: {
      ignoreTrailingSlash: spec.ignoreTrailingSlash,
      ignoreDuplicateSlashes: spec.ignoreDuplicateSlashes,
      caseSensitive: spec.caseSensitive
    },
    ...(options.clientErrorHandler === true ? { clientErrorHandler: notImplemented.clientErrorHandler } : {})
  })
  const implemented = new Set<string>()
  for (const method of spec.extraMethods) app.addHttpMethod(method, { hasBody: true })
  await app.register(notImplemented, { autoOptions: spec.autoOptions, logLevel: 'silent' })
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) implemented.add(method.toUpperCase())
  })
  const handler = async (request: { routeOptions: { url?: string } }, reply: { header: (n: string, v: string) => unknown }) => {
    reply.header('x-route', encodeURIComponent(String(request.routeOptions.url)))
    return 'handled'
  }
  for (let i = 0; i < spec.routes.length; i++) {
    const route = spec.routes[i]
    const methods = route.methods === 'all' ? 'all' : route.methods.filter((m) => fastifyMethods.includes(m) || spec.extraMethods.includes(m))
    if (methods !== 'all' && methods.length === 0) continue
    try {
      if (methods === 'all') app.all(route.url, handler)
      else app.route({ method: methods as HTTPMethods[], url: route.url, handler })
    } catch {
      await app.close()
      return i
    }
  }
  await app.ready()
  return { app, implemented, spec }
}

// Parameter values: plain, unicode, percent-encoding good and bad, dot segments, encoded
// slashes and NULs, and segments longer than the router's 100-character parameter limit.
const paramValue = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'abcxyz0123456789-_.~'), minLength: 1, maxLength: 8 }),
  fc.integer({ min: 0, max: 99999 }).map(String),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }).map((s) => encodeURIComponent(s)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }),
  fc.constantFrom('%41%42', '%2F', '%2f', '%00', '%25', '%', '%Z1', '%E0%A4%A', '%C3', '%C3%A9', '..', '.', '', '%2E%2E', '1-2', ';x=1'),
  fc.integer({ min: 95, max: 2100 }).map((n) => 'x'.repeat(n))
)

function fillTemplate (url: string, values: string[]): string {
  let i = 0
  const next = (): string => values[i++ % values.length]
  return url
    .replace(/:[a-z]+(\([^)]*\))?/g, () => next())
    .replace(/\*$/, () => next())
}

const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?', '?a=1', '?a=1&a=2', '?%ZZ', '?q=%E0%A4%A', '?x=é', '?__proto__[a]=1', '?a=' + 'q'.repeat(3000)),
  fc.string({ unit: fc.constantFrom(...'ab=&%?/#.é'), maxLength: 12 }).map((s) => '?' + s)
)

export interface RequestSpec {
  method: string
  url: string
  headers: Record<string, string>
}

const headerName = fc.oneof(
  fc.constantFrom('accept', 'accept-version', 'origin', 'x-http-method-override', 'x-forwarded-for', 'cookie', 'authorization', 'if-none-match', 'range', 'content-type', 'access-control-request-method'),
  fc.string({ unit: fc.constantFrom(...'abcxyz-_0123456789'), minLength: 1, maxLength: 12 }).map((s) => 'x-' + s)
)
const headerValue = fc.string({ unit: fc.constantFrom(...'abcDEF 0123456789-_.,;=/*:"()@!~%'), maxLength: 40 }).map((s) => s.trim())

export function requestArbitrary (table: BuiltTable, raw: boolean): fc.Arbitrary<RequestSpec> {
  const routed = [...table.implemented]
  const methods = raw ? nodeMethods.filter((m) => m !== 'CONNECT') : nodeMethods
  const method = fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...methods) },
    { weight: routed.length > 0 ? 1 : 0, arbitrary: fc.constantFrom(...(routed.length > 0 ? routed : ['GET'])) }
  )
  const fromRoute = fc.tuple(
    fc.constantFrom(...table.spec.routes.map((r) => r.url)),
    fc.array(paramValue, { minLength: 1, maxLength: 3 }),
    fc.constantFrom('none', 'none', 'none', 'trailing-slash', 'double-slash', 'upper', 'dot-segment', 'absolute-form')
  ).map(([url, values, mutation]) => {
    let path = fillTemplate(url === '*' ? '/*' : url, values)
    if (mutation === 'trailing-slash') path += '/'
    if (mutation === 'double-slash') path = path.replace(/\/(?=[^/]*$)/, '//')
    if (mutation === 'upper') path = path.toUpperCase()
    if (mutation === 'dot-segment') path = path.replace(/\/(?=[^/]*$)/, '/x/../')
    if (mutation === 'absolute-form') path = 'http://localhost' + path
    return path
  })
  const anyPath = fc.array(fc.oneof(staticSegment, paramValue), { maxLength: 4 }).map((segments) => '/' + segments.join('/'))
  return fc.record({
    method,
    url: fc.tuple(fc.oneof({ weight: 4, arbitrary: fromRoute }, { weight: 1, arbitrary: anyPath }), query).map(([path, q]) => path + q),
    headers: fc.dictionary(headerName, headerValue, { maxKeys: 3 })
  })
}

export interface Answer {
  status: number
  headers: Record<string, string | undefined>
  body: string
}

export type Send = (method: string, url: string, headers: Record<string, string>) => Promise<Answer>

export function injectSender (app: FastifyInstance): Send {
  return async (method, url, headers) => {
    const response = await app.inject({ method: method as HTTPMethods, url, headers })
    const flat: Record<string, string | undefined> = {}
    for (const [name, value] of Object.entries(response.headers)) flat[name] = Array.isArray(value) ? value.join(', ') : value === undefined ? undefined : String(value)
    return { status: response.statusCode, headers: flat, body: response.body }
  }
}

// One request on its own connection, written byte for byte: the request line is not
// normalised the way a client library would. With `awaitClose`, the answer carries
// `x-test-closed`: whether the server closed the connection after answering.
export function rawSender (port: number, options: { awaitClose?: boolean } = {}): Send {
  return async (method, url, headers) => {
    const head = `${method} ${url} HTTP/1.1\r\nHost: localhost\r\n` +
      Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('') + '\r\n'
    const exchange = await rawExchange(port, Buffer.from(head, 'utf8'), { untilClosed: options.awaitClose, timeout: 10000, methods: [method] })
    const [response] = exchange.responses
    if (exchange.timedOut || response === undefined) throw new Error(`no answer to ${method} ${url}${exchange.timedOut ? ' (timed out)' : ' (connection closed)'}`)
    const answer: Answer = { status: response.status, headers: {}, body: Buffer.from(response.body, 'latin1').toString('utf8') }
    for (const [name, values] of Object.entries(response.headers)) answer.headers[name] = values.join(', ')
    if (options.awaitClose === true) answer.headers['x-test-closed'] = String(exchange.closed)
    return answer
  }
}

function codeOf (answer: Answer): string | undefined {
  try {
    return (JSON.parse(answer.body) as { code?: string }).code
  } catch {
    return undefined
  }
}

function bodyAllow (answer: Answer): string[] | undefined {
  try {
    return (JSON.parse(answer.body) as { allow?: string[] }).allow
  } catch {
    return undefined
  }
}

const rootCatchAll = new Set(['*', '/*'])

// Long runs of one character (the over-long segments) as `x{1200}`, to keep reports readable.
export function abbreviate (text: string): string {
  return text.replace(/(.)\1{15,}/g, (run, char: string) => `${char}{${run.length}}`)
}

// What every answer is held to. Returns the problems found, empty when all is well.
export async function checkAnswer (table: BuiltTable, send: Send, request: RequestSpec, answer: Answer, sweeps: Map<string, Map<string, Answer>>, stats: { sweeps: number, probes: number }, sweepMethods: readonly string[]): Promise<string[]> {
  const problems: string[] = []
  const { method, url, headers } = request
  const where = `${method} ${abbreviate(url)}${Object.keys(headers).length > 0 ? ' ' + JSON.stringify(headers) : ''}`
  const code = method === 'HEAD' ? undefined : codeOf(answer)
  const answersOptions = table.spec.autoOptions
  const implemented = table.implemented.has(method) || (method === 'OPTIONS' && answersOptions)

  if (answer.status >= 500 && answer.status !== 501) problems.push(`${where}: ${answer.status}`)
  if (answer.status === 501) {
    if (method !== 'HEAD' && code !== 'FST_METHOD_NOT_IMPLEMENTED') problems.push(`${where}: 501 with code ${code}`)
    if (implemented) problems.push(`${where}: 501 for a method a route has`)
    if (answer.headers['cache-control'] === undefined) problems.push(`${where}: 501 without Cache-Control`)
  }
  // A URL Fastify cannot decode keeps its 400, and so does a request line Node's parser refuses.
  const badRequest = answer.status === 400 && (method === 'HEAD' || code === 'FST_ERR_BAD_URL' || answer.body.includes('"message":"Client Error"'))
  if (!implemented && answer.status !== 501 && !badRequest) {
    problems.push(`${where}: ${answer.status} ${code ?? ''} for a method no route has`)
  }

  const isPlugin204 = answer.status === 204 && method === 'OPTIONS' && answer.headers['x-route'] === undefined
  if (answer.status !== 405 && answer.status !== 404 && !isPlugin204) return problems

  // The same path asked with other methods, each once per path and headers: every method
  // for an Allow to check; for a 404, the methods some route has (no other can reach a
  // handler: each of them gets 501, as the check above holds every request to).
  const key = `${url}\n${JSON.stringify(headers)}`
  let sweep = sweeps.get(key)
  if (sweep === undefined) {
    sweep = new Map([[method, answer]])
    sweeps.set(key, sweep)
    stats.sweeps++
  }
  const methods = answer.status === 404 ? sweepMethods.filter((m) => table.implemented.has(m)) : sweepMethods
  for (const other of methods) {
    if (sweep.has(other)) continue
    sweep.set(other, await send(other, url, headers))
    stats.probes++
  }
  const answering = methods.filter((m) => ![404, 405, 501].includes((sweep.get(m) as Answer).status))
  const routedHere = methods.some((m) => {
    const other = sweep.get(m) as Answer
    return other.status >= 200 && other.status < 300 && other.headers['x-route'] !== undefined && !rootCatchAll.has(decodeURIComponent(other.headers['x-route']))
  })

  if (answer.status === 404) {
    if (implemented && routedHere) problems.push(`${where}: 404 where a route answers (${answering.join(', ')})`)
    return problems
  }
  const allowHeader = answer.headers.allow
  if (allowHeader === undefined) {
    problems.push(`${where}: ${answer.status} without Allow`)
    return problems
  }
  const allow = allowHeader.split(', ')
  if (new Set(allow).size !== allow.length) problems.push(`${where}: Allow repeats a method: ${allowHeader}`)
  const expected = answering
  if ([...allow].sort().join() !== [...expected].sort().join()) {
    problems.push(`${where}: Allow "${allowHeader}" but the methods that answer here are "${expected.join(', ')}"`)
  }
  if (answer.status === 405) {
    if (method !== 'HEAD' && code !== 'FST_METHOD_NOT_ALLOWED') problems.push(`${where}: 405 with code ${code}`)
    if (allow.includes(method)) problems.push(`${where}: 405 whose Allow names ${method}`)
    const listed = method === 'HEAD' ? allow : bodyAllow(answer)
    if (listed?.join(', ') !== allowHeader) problems.push(`${where}: body allow ${JSON.stringify(listed)} differs from Allow "${allowHeader}"`)
    if (answer.headers['cache-control'] === undefined) problems.push(`${where}: 405 without Cache-Control`)
  }
  if (table.spec.exposeHeadRoutes && allow.includes('GET') && !allow.includes('HEAD')) problems.push(`${where}: Allow has GET without HEAD`)
  if (answersOptions && !allow.includes('OPTIONS')) problems.push(`${where}: Allow lacks OPTIONS though the plugin answers it`)
  return problems
}
