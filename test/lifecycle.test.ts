import { test } from 'tap'
import { channel } from 'node:diagnostics_channel'
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify'
import { request } from 'undici'
import notImplemented = require('..')
import { goneBody, notAllowedBody, notImplementedBody } from './helpers/bodies'
import { head, listen, rawExchange } from './helpers/http'

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

// The dates of the examples, and the headers a client must see for them.
const deprecated = '2026-01-15T00:00:00Z'
const sunset = '2026-07-01T12:00:00Z'
const deprecationHeader = `@${Date.parse(deprecated) / 1000}`
const sunsetHeader = new Date(sunset).toUTCString()
const migrate = 'https://example.com/migrate-orders'
const deprecationLink = `<${migrate}>; rel="deprecation"`

// A clock the test sets: the plugin's `now` option.
class Clock {
  time = Date.parse('2026-03-01T00:00:00Z')
  now = (): number => this.time
}

interface Built {
  app: FastifyInstance
  clock: Clock
  calls: Record<string, number>
}

async function build (options: Options = {}): Promise<Built> {
  const clock = new Clock()
  const calls: Record<string, number> = { orders: 0, preParsing: 0, report: 0, legacy: 0 }
  const app = Fastify()
  await app.register(notImplemented, { now: clock.now, ...options })
  const lifecycle = { deprecation: { date: deprecated, sunset, link: migrate } }
  app.get('/v1/orders', { config: lifecycle }, async (request, reply) => {
    calls.orders++
    reply.header('link', '</v1/orders?page=2>; rel="next"')
    if (request.query !== null && typeof request.query === 'object' && 'fail' in request.query) {
      throw Object.assign(new Error('no such order'), { statusCode: 404 })
    }
    return [{ id: 1 }]
  })
  app.post('/v1/orders', {
    config: lifecycle,
    preParsing: async () => { calls.preParsing++ },
    schema: { body: { type: 'object', required: ['item'] } }
  }, async () => {
    calls.orders++
    return { id: 2 }
  })
  app.put('/v1/orders', async () => ({ id: 3 }))
  // Deprecated with no sunset and no link: only Deprecation.
  app.get('/v1/report', { config: { deprecation: { date: new Date(deprecated) } } }, async () => {
    calls.report++
    return 'report'
  })
  // The only DELETE of the app, with a sunset.
  app.delete('/v1/orders/:id', { config: { deprecation: { date: deprecated, sunset } } }, async () => 'deleted')
  app.get('/v2/orders', async () => [])
  app.patch('/v2/orders', async () => ({}))
  return { app, clock, calls }
}

test('a deprecated route answers as ever, with Deprecation @<seconds>, Sunset and its Link merged with the handler\'s', async (t) => {
  const { app, calls } = await build()
  const res = await app.inject({ url: '/v1/orders' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), [{ id: 1 }])
  t.equal(res.headers.deprecation, '@1768435200')
  t.equal(res.headers.deprecation, deprecationHeader)
  t.equal(res.headers.sunset, 'Wed, 01 Jul 2026 12:00:00 GMT')
  t.equal(res.headers.sunset, sunsetHeader)
  t.equal(res.headers.link, `</v1/orders?page=2>; rel="next", ${deprecationLink}`)
  t.equal(res.headers['cache-control'], undefined, 'the handler\'s answer: the plugin adds no Cache-Control to it')
  t.equal(calls.orders, 1)

  const headRes = await app.inject({ method: 'HEAD', url: '/v1/orders' })
  t.equal(headRes.statusCode, 200)
  t.equal(headRes.body, '')
  t.equal(headRes.headers.deprecation, deprecationHeader)
  t.equal(headRes.headers.sunset, sunsetHeader)
  t.equal(headRes.headers.link, `</v1/orders?page=2>; rel="next", ${deprecationLink}`)

  const failed = await app.inject({ url: '/v1/orders?fail=1' })
  t.equal(failed.statusCode, 404, 'an error the handler throws')
  t.same(failed.json(), { statusCode: 404, error: 'Not Found', message: 'no such order' })
  t.equal(failed.headers.deprecation, deprecationHeader)
  t.equal(failed.headers.sunset, sunsetHeader)
  t.equal(failed.headers.link, `</v1/orders?page=2>; rel="next", ${deprecationLink}`)

  const invalid = await app.inject({ method: 'POST', url: '/v1/orders', payload: { wrong: 1 } })
  t.equal(invalid.statusCode, 400, 'a validation error, before the handler')
  t.equal(invalid.headers.deprecation, deprecationHeader)
  t.equal(invalid.headers.link, deprecationLink, 'the deprecation link alone where the handler set none')

  const report = await app.inject({ url: '/v1/report' })
  t.equal(report.statusCode, 200)
  t.equal(report.headers.deprecation, deprecationHeader)
  t.equal(report.headers.sunset, undefined, 'no sunset: no Sunset')
  t.equal(report.headers.link, undefined, 'no link: no Link')

  const other = await app.inject({ url: '/v2/orders' })
  t.equal(other.headers.deprecation, undefined, 'a route without deprecation says nothing')
  t.equal(other.headers.sunset, undefined)
  t.equal(other.headers.link, undefined)
})

test('over a real socket the same headers arrive, on GET, HEAD and an error status', async (t) => {
  const { app } = await build()
  const { origin, port } = await listen(t, app)
  for (const [method, path, status] of [['GET', '/v1/orders', 200], ['HEAD', '/v1/orders', 200], ['GET', '/v1/orders?fail=1', 404]] as const) {
    const res = await request(origin + path, { method })
    await res.body.dump()
    t.equal(res.statusCode, status, `${method} ${path}`)
    t.equal(res.headers.deprecation, deprecationHeader)
    t.equal(res.headers.sunset, sunsetHeader)
    t.equal(res.headers.link, `</v1/orders?page=2>; rel="next", ${deprecationLink}`)
  }
  // A Link the handler sets as several lines stays several lines, the deprecation one added.
  const raw = await rawExchange(port, head('GET', '/v1/orders'))
  t.same(raw.responses[0].headers.deprecation, [deprecationHeader])
  t.same(raw.responses[0].headers.sunset, [sunsetHeader])
})

test('a handler that sets several Link lines keeps them, and the deprecation link is one more', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  app.get('/old', { config: { deprecation: { date: deprecated, link: migrate } } }, async (_request, reply) => {
    reply.header('link', ['</a>; rel="next"', '</b>; rel="prev"'])
    return 'old'
  })
  const { port } = await listen(t, app)
  const raw = await rawExchange(port, head('GET', '/old'))
  t.same(raw.responses[0].headers.link, ['</a>; rel="next"', '</b>; rel="prev"', deprecationLink])
  t.same(raw.responses[0].headers.deprecation, [deprecationHeader])
})

test('when the sunset passes while the server runs, the route answers 410 and its handler never runs again', async (t) => {
  const { app, clock, calls } = await build()
  t.equal((await app.inject({ url: '/v1/orders' })).statusCode, 200)
  t.equal(calls.orders, 1)

  clock.time = Date.parse(sunset) - 1
  t.equal((await app.inject({ url: '/v1/orders' })).statusCode, 200, 'a millisecond before the sunset')
  t.equal(calls.orders, 2)

  clock.time = Date.parse(sunset)
  const res = await app.inject({ url: '/v1/orders' })
  t.equal(res.statusCode, 410)
  t.same(res.json(), goneBody('GET', '/v1/orders'))
  t.equal(res.headers['cache-control'], 'max-age=3600')
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  // The 410 still says when and why: a client that missed the warnings learns it here.
  t.equal(res.headers.deprecation, deprecationHeader)
  t.equal(res.headers.sunset, sunsetHeader)
  t.equal(res.headers.link, deprecationLink)
  t.equal(calls.orders, 2, 'the handler did not run')

  const headRes = await app.inject({ method: 'HEAD', url: '/v1/orders' })
  t.equal(headRes.statusCode, 410)
  t.equal(headRes.body, '')

  // The body is never read: no preParsing, no validation (it would be a 400).
  for (const payload of [{ item: 'x' }, { wrong: 1 }, '{not json']) {
    const post = await app.inject({ method: 'POST', url: '/v1/orders', payload, headers: { 'content-type': 'application/json' } })
    t.equal(post.statusCode, 410)
    t.same(post.json(), goneBody('POST', '/v1/orders'))
  }
  t.equal(calls.preParsing, 0)
  t.equal(calls.orders, 2)

  const report = await app.inject({ url: '/v1/report' })
  t.equal(report.statusCode, 200, 'a deprecated route with no sunset never retires')
})

test('over a real socket, a 50 MB upload to a retired route is answered 410 before the body is sent', async (t) => {
  const { app, clock, calls } = await build()
  clock.time = Date.parse(sunset) + 1000
  const { port } = await listen(t, app)
  const body = JSON.stringify(goneBody('POST', '/v1/orders'))
  const { text, firstResponseMs: ms } = await rawExchange(port, head('POST', '/v1/orders', { 'Content-Type': 'application/json', 'Content-Length': 52428800 }))
  t.match(text, /^HTTP\/1\.1 410 Gone\r\n/)
  t.match(text, /\r\ncache-control: max-age=3600\r\n/i)
  t.match(text, new RegExp(`\\r\\ndeprecation: ${deprecationHeader}\\r\\n`, 'i'))
  t.match(text, new RegExp(`\\r\\nsunset: ${sunsetHeader}\\r\\n`, 'i'))
  t.match(text, /\r\nconnection: close\r\n/i)
  t.ok(text.endsWith('\r\n\r\n' + body), 'the whole 410 body arrived')
  t.ok(ms >= 0 && ms < 2000, `answered in ${ms} ms with no body sent`)
  t.equal(calls.preParsing, 0)
  t.equal(calls.orders, 0)

  const res = await request(`http://127.0.0.1:${port}/v1/orders`)
  t.equal(res.statusCode, 410)
  t.same(await res.body.json(), goneBody('GET', '/v1/orders'))
  t.equal(res.headers['cache-control'], 'max-age=3600')
})

test('Allow drops a method once its routes there pass their sunset; a method whose only routes are gone is not implemented', async (t) => {
  const { app, clock } = await build()
  const { origin } = await listen(t, app)
  const ask = async (method: string, path: string): Promise<{ status: number, allow: unknown, body: unknown }> => {
    const res = await request(origin + path, { method })
    const text = await res.body.text()
    return { status: res.statusCode, allow: res.headers.allow, body: text === '' ? undefined : JSON.parse(text) }
  }

  t.same(await ask('TRACE', '/v1/orders'), { status: 501, allow: undefined, body: notImplementedBody('TRACE') })
  t.same(await ask('DELETE', '/v1/orders'), {
    status: 405,
    allow: 'GET, HEAD, POST, PUT, OPTIONS',
    body: notAllowedBody('DELETE', '/v1/orders', ['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS'])
  })
  t.same(await ask('OPTIONS', '/v1/orders'), { status: 204, allow: 'GET, HEAD, POST, PUT, OPTIONS', body: undefined })

  clock.time = Date.parse(sunset)
  t.same(await ask('DELETE', '/v1/orders'), {
    status: 501,
    allow: undefined,
    body: notImplementedBody('DELETE')
  }, 'the only DELETE of the app is gone: DELETE is implemented nowhere')
  t.same(await ask('PATCH', '/v1/orders'), {
    status: 405,
    allow: 'PUT, OPTIONS',
    body: notAllowedBody('PATCH', '/v1/orders', ['PUT', 'OPTIONS'])
  }, 'GET, HEAD and POST are gone from Allow')
  t.same(await ask('OPTIONS', '/v1/orders'), { status: 204, allow: 'PUT, OPTIONS', body: undefined })
  t.same(await ask('DELETE', '/v1/orders/7'), { status: 410, allow: undefined, body: goneBody('DELETE', '/v1/orders/:id') })
  t.same(await ask('PUT', '/v1/orders/7'), {
    status: 405,
    allow: 'OPTIONS',
    body: notAllowedBody('PUT', '/v1/orders/7', ['OPTIONS'])
  }, 'a path whose only route is gone still has routes')
  t.same(await ask('OPTIONS', '/v2/orders'), { status: 204, allow: 'GET, HEAD, PATCH, OPTIONS', body: undefined })
})

test('config.gone answers 410 from the start, counts for no Allow, and declareRoute declares one', async (t) => {
  const app = Fastify()
  const handled: string[] = []
  const decisions: Array<Record<string, unknown>> = []
  const onDecision = (message: unknown): void => {
    const { code, statusCode, method, route } = message as Record<string, unknown>
    decisions.push({ code, statusCode, method, route })
  }
  channel('fastify-not-implemented:decision').subscribe(onDecision)
  t.teardown(() => channel('fastify-not-implemented:decision').unsubscribe(onDecision))
  await app.register(notImplemented)
  app.get('/legacy', { config: { gone: true } }, async () => {
    handled.push('legacy')
    return 'never'
  })
  app.get('/archive', { config: { gone: true, deprecation: { date: deprecated, sunset, link: migrate } } }, async () => 'never')
  app.declareRoute({ method: 'DELETE', url: '/legacy', config: { gone: true } })
  app.post('/legacy', async () => 'posted')
  app.put('/elsewhere', async () => 'put')
  await app.ready()

  const res = await app.inject({ url: '/legacy' })
  t.equal(res.statusCode, 410)
  t.same(res.json(), goneBody('GET', '/legacy'))
  t.equal(res.headers['cache-control'], 'max-age=3600')
  t.equal(res.headers.deprecation, undefined, 'no deprecation config: no Deprecation')
  t.equal(handled.length, 0)

  const archive = await app.inject({ url: '/archive' })
  t.equal(archive.statusCode, 410)
  t.equal(archive.headers.deprecation, deprecationHeader)
  t.equal(archive.headers.sunset, sunsetHeader)
  t.equal(archive.headers.link, deprecationLink)

  const declared = await app.inject({ method: 'DELETE', url: '/legacy' })
  t.equal(declared.statusCode, 410)
  t.same(declared.json(), goneBody('DELETE', '/legacy'))

  const put = await app.inject({ method: 'PUT', url: '/legacy' })
  t.equal(put.statusCode, 405)
  t.equal(put.headers.allow, 'POST, OPTIONS')
  t.same(put.json(), notAllowedBody('PUT', '/legacy', ['POST', 'OPTIONS']))

  const del = await app.inject({ method: 'DELETE', url: '/elsewhere' })
  t.equal(del.statusCode, 501, 'a method whose only routes are gone is not implemented')
  t.same(del.json(), notImplementedBody('DELETE'))
  const get = await app.inject({ method: 'GET', url: '/elsewhere' })
  t.equal(get.statusCode, 501, 'GET, whose only routes are gone, too')
  t.same(get.json(), notImplementedBody('GET'))

  t.same(decisions.slice(0, 3), [
    { code: 'FST_ENDPOINT_GONE', statusCode: 410, method: 'GET', route: '/legacy' },
    { code: 'FST_ENDPOINT_GONE', statusCode: 410, method: 'GET', route: '/archive' },
    { code: 'FST_ENDPOINT_GONE', statusCode: 410, method: 'DELETE', route: '/legacy' }
  ])
})

test('the 410 is logged like the other answers, and its Cache-Control is configurable', async (t) => {
  const lines: Array<Record<string, any>> = []
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
  await app.register(notImplemented, { cacheControl: { FST_ENDPOINT_GONE: 'max-age=86400' } })
  app.get('/legacy', { config: { gone: true } }, async () => 'never')
  const res = await app.inject({ url: '/legacy' })
  t.equal(res.headers['cache-control'], 'max-age=86400')
  const line = lines.find((entry) => entry.notImplemented !== undefined) as Record<string, any>
  t.equal(line.msg, 'Endpoint GET /legacy has been retired')
  t.same(line.notImplemented, { code: 'FST_ENDPOINT_GONE', statusCode: 410, method: 'GET', url: '/legacy', route: '/legacy' })

  const off = Fastify()
  await off.register(notImplemented, { cacheControl: { FST_ENDPOINT_GONE: false } })
  off.get('/legacy', { config: { gone: true } }, async () => 'never')
  t.equal((await off.inject({ url: '/legacy' })).headers['cache-control'], undefined)
})

test('past its sunset, a gated route answers 410 without asking the resolver', async (t) => {
  let asked = 0
  const clock = new Clock()
  const app = Fastify()
  await app.register(notImplemented, {
    now: clock.now,
    tiers: ['free', 'plus'],
    resolveTier: () => {
      asked++
      return 'plus'
    }
  })
  app.get('/plus', { config: { tier: 'plus', deprecation: { date: deprecated, sunset } } }, async () => 'plus')
  t.equal((await app.inject({ url: '/plus' })).statusCode, 200)
  t.equal(asked, 1)
  clock.time = Date.parse(sunset)
  const res = await app.inject({ url: '/plus' })
  t.equal(res.statusCode, 410)
  t.equal(asked, 1)
})

test('a clock that answers NaN retires a route with a sunset rather than keep it alive', async (t) => {
  let time = Date.parse('2026-03-01T00:00:00Z')
  const app = Fastify()
  await app.register(notImplemented, { now: () => time })
  app.get('/old', { config: { deprecation: { date: deprecated, sunset } } }, async () => 'old')
  t.equal((await app.inject({ url: '/old' })).statusCode, 200)
  time = Number.NaN
  t.equal((await app.inject({ url: '/old' })).statusCode, 410)
})

test('only a route with a life cycle carries hooks: onSend for deprecation, onRequest for a sunset or gone', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  const seen = new Map<string, RouteOptions>()
  app.addHook('onRoute', (route) => { seen.set(`${String(route.method)} ${route.url}`, route) })
  app.get('/plain', async () => 'plain')
  app.get('/deprecated', { config: { deprecation: { date: deprecated } } }, async () => 'd')
  app.get('/sunset', { config: { deprecation: { date: deprecated, sunset } } }, async () => 's')
  app.get('/gone', { config: { gone: true } }, async () => 'g')
  app.get('/kept', { config: { gone: false } }, async () => 'k')
  await app.ready()
  // The plugin's hooks on a route (Fastify adds an onSend of its own to HEAD routes).
  const hooks = (key: string): [string[], string[]] => {
    const route = seen.get(key) as RouteOptions
    const names = (list: unknown): string[] => [list ?? []].flat().map((hook) => (hook as () => void).name).filter((name) => name !== 'headRouteOnSendHandler')
    return [names(route.onRequest), names(route.onSend)]
  }
  t.same(hooks('GET /plain'), [[], []])
  t.same(hooks('GET /kept'), [[], []], 'gone: false asks nothing')
  t.same(hooks('GET /deprecated'), [[], ['notImplementedDeprecation']])
  t.same(hooks('HEAD /deprecated'), [[], ['notImplementedDeprecation']])
  t.same(hooks('GET /sunset'), [['notImplementedSunset'], ['notImplementedDeprecation']])
  t.same(hooks('HEAD /sunset'), [['notImplementedSunset'], ['notImplementedDeprecation']])
  t.same(hooks('GET /gone'), [['endpointGone'], []])
  t.same(hooks('HEAD /gone'), [['endpointGone'], []])
  t.equal((await app.inject({ url: '/kept' })).statusCode, 200)
  t.match(app.printRoutes({ includeHooks: true, commonPrefix: false }), /\/plain \(GET\)\n[│ ]*\/plain \(HEAD\)\n[│ ]*• \(onSend\) \["headRouteOnSendHandler\(\)"\]\n/, 'a route without life cycle prints as without the plugin')
})

test('bad life cycle config stops the app at start-up, naming the route', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['an unparsable date', { deprecation: { date: 'next tuesday' } }, /^fastify-not-implemented: route GET \/x: config\.deprecation\.date must be a Date or an ISO 8601 date \("2026-01-31" or "2026-01-31T12:00:00Z"\), got "next tuesday"$/],
    ['an invalid Date', { deprecation: { date: new Date('nope') } }, /config\.deprecation\.date must be a Date or an ISO 8601 date .*, got Invalid Date$/],
    ['a number', { deprecation: { date: 1767225600000 } }, /config\.deprecation\.date must be .*, got 1767225600000$/],
    ['no date', { deprecation: { sunset } }, /config\.deprecation\.date must be .*, got undefined$/],
    ['a time with no offset', { deprecation: { date: '2026-01-15T00:00:00' } }, /config\.deprecation\.date must be .*, got "2026-01-15T00:00:00"$/],
    ['an impossible day', { deprecation: { date: '2026-13-45' } }, /config\.deprecation\.date must be/],
    ['an unparsable sunset', { deprecation: { date: deprecated, sunset: 'soon' } }, /config\.deprecation\.sunset must be .*, got "soon"$/],
    ['a sunset before the date', { deprecation: { date: sunset, sunset: deprecated } }, /^fastify-not-implemented: route GET \/x: config\.deprecation\.sunset \(2026-01-15T00:00:00\.000Z\) is before config\.deprecation\.date \(2026-07-01T12:00:00\.000Z\)$/],
    ['a link with CR/LF', { deprecation: { date: deprecated, link: 'https://example.com/\r\nSet-Cookie: a=b' } }, /config\.deprecation\.link must be a URI \(visible ASCII, no spaces, "<" or ">"\), got "https:\/\/example\.com\/\\r\\nSet-Cookie: a=b"$/],
    ['a link with ">"', { deprecation: { date: deprecated, link: 'https://example.com/>; rel="x' } }, /config\.deprecation\.link must be a URI/],
    ['a link that is no string', { deprecation: { date: deprecated, link: new URL(migrate) } }, /config\.deprecation\.link must be a URI .*, got "https:\/\/example\.com\/migrate-orders"$/],
    ['an unknown key', { deprecation: { date: deprecated, sunsetDate: sunset } }, /config\.deprecation has an unknown key "sunsetDate"; known keys: date, sunset, link$/],
    ['deprecation that is no object', { deprecation: true }, /config\.deprecation must be an object such as \{ date, sunset, link \}, got true$/],
    ['a non-boolean gone', { gone: 'yes' }, /^fastify-not-implemented: route GET \/x: config\.gone must be a boolean, got "yes"$/],
    ['gone and not built', { gone: true, implemented: false }, /config\.gone and config\.implemented: false contradict each other/],
    ['deprecated and not built', { deprecation: { date: deprecated }, implemented: false }, /config\.deprecation and config\.implemented: false contradict each other/]
  ]
  for (const [name, config, message] of cases) {
    const app = Fastify()
    await app.register(notImplemented)
    t.throws(() => app.get('/x', { config: config as never }, async () => 'x'), { name: 'TypeError', message }, name)
  }
  const equal = Fastify()
  await equal.register(notImplemented)
  equal.get('/x', { config: { deprecation: { date: sunset, sunset } } }, async () => 'x')
  await t.resolves(Promise.resolve(equal.ready()), 'a sunset on the deprecation date itself is allowed')
})

test('the now option must be a clock', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [Date.now(), /^fastify-not-implemented: option "now" must be a function returning milliseconds since the epoch \(like Date\.now\), got number$/],
    [() => new Date(), /^fastify-not-implemented: option "now" must return milliseconds since the epoch \(like Date\.now\), returned .+$/],
    [() => Number.NaN, /option "now" must return milliseconds since the epoch \(like Date\.now\), returned NaN$/]
  ]
  for (const [now, message] of cases) {
    const app = Fastify()
    await t.rejects(Promise.resolve(app.register(notImplemented, { now } as never)), { name: 'TypeError', message })
  }
})

test('a later plugin that changes deprecation or gone, or removes the plugin\'s hooks or constraint, stops the app', async (t) => {
  const tamperings: Array<[string, (route: RouteOptions) => void, RegExp]> = [
    ['changes the sunset', (route) => { route.config = { ...route.config, deprecation: { date: deprecated, sunset: '2027-01-01' } } as never }, /GET \/old \(its config changed after the plugin read it\)/],
    ['sets gone', (route) => { route.config = { ...route.config, gone: true } as never }, /GET \/old \(its config changed after the plugin read it\)/],
    ['removes deprecation', (route) => { route.config = {} as never }, /GET \/old \(its config changed after the plugin read it\)/],
    ['assigns onSend', (route) => { route.onSend = [async (_request, _reply, payload) => payload] }, /GET \/old \(the plugin's onSend hook was removed\)/],
    ['assigns onRequest', (route) => { route.onRequest = [] }, /GET \/old \(the plugin's onRequest hook was removed\)/],
    ['assigns constraints', (route) => { route.constraints = {} }, /GET \/old \(the plugin's constraint on a retired or retiring route was removed\)/]
  ]
  for (const [name, tamper, message] of tamperings) {
    const app = Fastify()
    await app.register(notImplemented)
    // A plugin with fastify-plugin's skip-override would add its hook at the root like this.
    app.addHook('onRoute', (route) => { if (route.method === 'GET') tamper(route) })
    app.get('/old', { config: { deprecation: { date: deprecated, sunset } } }, async () => 'old')
    await t.rejects(Promise.resolve(app.ready()), { message }, name)
  }
  const gone = Fastify()
  await gone.register(notImplemented)
  gone.addHook('onRoute', (route) => { route.config = { ...route.config, gone: false } as never })
  gone.get('/retired', { config: { gone: true } }, async () => 'x')
  await t.rejects(Promise.resolve(gone.ready()), { message: /GET \/retired \(its config changed after the plugin read it\)/ })
})

test('the plugin\'s constraint takes no value of the app\'s own', async (t) => {
  const app = Fastify()
  await app.register(notImplemented)
  t.throws(() => app.get('/x', { constraints: { fastifyNotImplementedUnbuilt: 'yes' } }, async () => 'x'), {
    message: /the "fastifyNotImplementedUnbuilt" constraint belongs to the plugin; declare an unbuilt endpoint with config\.implemented: false, a retired one with config\.gone: true/
  })
})
