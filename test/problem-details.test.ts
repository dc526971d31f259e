import { test } from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import { request } from 'undici'
import { Value } from '@sinclair/typebox/value'
import notImplemented = require('..')
import { flagFromHeader, tierFromHeader, tiers } from './helpers/gating'
import { notAllowedBody, notImplementedBody } from './helpers/bodies'
import { listen } from './helpers/http'

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

const docsPage = 'https://github.com/fastify-not-implemented/fastify-not-implemented/blob/main/docs/problems.md#'
const problemJson = 'application/problem+json; charset=utf-8'

// Every answer of the plugin, one route or request each. `setup` runs before the routes
// are added: a route keeps the error handler its context had then.
async function build (options: Options = {}, setup?: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const app = Fastify()
  setup?.(app)
  await app.register(notImplemented, {
    tiers,
    resolveTier: (request) => {
      if (request.headers['x-tier'] === 'broken') throw new Error('plan service down')
      return tierFromHeader(request)
    },
    isFeatureEnabled: flagFromHeader,
    problemDetails: true,
    ...options
  })
  app.get('/users', async () => [])
  app.delete('/sessions', async () => ({}))
  app.get('/reports', { config: { tier: 'plus' } }, async () => ({}))
  app.get('/exports', { config: { feature: 'bulk-export' } }, async () => ({}))
  app.get('/billing', { config: { implemented: false } }, async () => ({}))
  app.declareRoute({ method: 'POST', url: '/invoices' })
  app.get('/search', { constraints: { version: '1.0.0' } }, async () => [])
  app.get('/legacy', { config: { gone: true } }, async () => ({}))
  app.get('/v1/orders', { config: { deprecation: { date: '2020-01-01T00:00:00Z', sunset: '2021-01-01T00:00:00Z' } } }, async () => [])
  return app
}

interface Case {
  name: string
  method: string
  url: string
  headers?: Record<string, string>
  status: number
  cacheControl: string
  extraHeaders: Record<string, string>
  // Added by the route's own onSend hook (its deprecation), not part of the error.
  routeHeaders?: Record<string, string>
  body: Record<string, unknown>
}

const cases: Case[] = [
  {
    name: '405 with Allow and `allow`',
    method: 'DELETE',
    url: '/users',
    status: 405,
    cacheControl: 'max-age=60',
    extraHeaders: { allow: 'GET, HEAD, OPTIONS', vary: 'Accept-Version' },
    body: {
      type: docsPage + 'method-not-allowed',
      title: 'Method Not Allowed',
      status: 405,
      detail: 'Method DELETE is not allowed on /users',
      code: 'FST_METHOD_NOT_ALLOWED',
      allow: ['GET', 'HEAD', 'OPTIONS']
    }
  },
  {
    name: '501 for a method no route has',
    method: 'PROPFIND',
    url: '/users',
    status: 501,
    cacheControl: 'max-age=60',
    extraHeaders: {},
    body: {
      type: docsPage + 'method-not-implemented',
      title: 'Method Not Implemented',
      status: 501,
      detail: 'Method PROPFIND is not implemented by this server',
      code: 'FST_METHOD_NOT_IMPLEMENTED'
    }
  },
  {
    name: '501 for a plan below the route\'s tier, with `requiredTier`',
    method: 'GET',
    url: '/reports',
    headers: { 'x-tier': 'free' },
    status: 501,
    cacheControl: 'private, no-store',
    extraHeaders: {},
    body: {
      type: docsPage + 'tier-required',
      title: 'Plan Required',
      status: 501,
      detail: 'This endpoint requires the plus plan',
      code: 'FST_TIER_REQUIRED',
      requiredTier: 'plus'
    }
  },
  {
    name: '501 for a feature that is off, with `feature`',
    method: 'GET',
    url: '/exports',
    status: 501,
    cacheControl: 'private, no-store',
    extraHeaders: {},
    body: {
      type: docsPage + 'feature-disabled',
      title: 'Feature Disabled',
      status: 501,
      detail: 'Feature bulk-export is not enabled',
      code: 'FST_FEATURE_DISABLED',
      feature: 'bulk-export'
    }
  },
  {
    name: '501 for a route declared with implemented: false',
    method: 'GET',
    url: '/billing',
    status: 501,
    cacheControl: 'max-age=60',
    extraHeaders: {},
    body: {
      type: docsPage + 'endpoint-not-implemented',
      title: 'Endpoint Not Implemented',
      status: 501,
      detail: 'Endpoint GET /billing is declared but not implemented',
      code: 'FST_ENDPOINT_NOT_IMPLEMENTED'
    }
  },
  {
    name: '501 for a route made with declareRoute()',
    method: 'POST',
    url: '/invoices',
    status: 501,
    cacheControl: 'max-age=60',
    extraHeaders: {},
    body: {
      type: docsPage + 'endpoint-not-implemented',
      title: 'Endpoint Not Implemented',
      status: 501,
      detail: 'Endpoint POST /invoices is declared but not implemented',
      code: 'FST_ENDPOINT_NOT_IMPLEMENTED'
    }
  },
  {
    name: '503 with Retry-After and no-store when the plan cannot be known',
    method: 'GET',
    url: '/reports',
    headers: { 'x-tier': 'broken' },
    status: 503,
    cacheControl: 'no-store',
    extraHeaders: { 'retry-after': '5' },
    body: {
      type: docsPage + 'tier-unavailable',
      title: 'Plan Unavailable',
      status: 503,
      detail: 'The caller\'s plan could not be determined',
      code: 'FST_TIER_UNAVAILABLE'
    }
  },
  {
    name: '501 with Vary for a version no route has',
    method: 'GET',
    url: '/search',
    headers: { 'accept-version': '2.x' },
    status: 501,
    cacheControl: 'max-age=60',
    extraHeaders: { vary: 'Accept-Version' },
    body: {
      type: docsPage + 'version-not-implemented',
      title: 'Version Not Implemented',
      status: 501,
      detail: 'Version 2.x of GET /search is not implemented',
      code: 'FST_VERSION_NOT_IMPLEMENTED',
      version: '2.x'
    }
  },
  {
    name: '410 for a route declared gone',
    method: 'GET',
    url: '/legacy',
    status: 410,
    cacheControl: 'max-age=3600',
    extraHeaders: {},
    body: {
      type: docsPage + 'endpoint-gone',
      title: 'Endpoint Gone',
      status: 410,
      detail: 'Endpoint GET /legacy has been retired',
      code: 'FST_ENDPOINT_GONE'
    }
  },
  {
    name: '410 for a route past its sunset, with its Deprecation and Sunset',
    method: 'GET',
    url: '/v1/orders',
    status: 410,
    cacheControl: 'max-age=3600',
    extraHeaders: {},
    routeHeaders: { deprecation: '@1577836800', sunset: 'Fri, 01 Jan 2021 00:00:00 GMT' },
    body: {
      type: docsPage + 'endpoint-gone',
      title: 'Endpoint Gone',
      status: 410,
      detail: 'Endpoint GET /v1/orders has been retired',
      code: 'FST_ENDPOINT_GONE'
    }
  }
]

// The headers a client sees, without those Node and Fastify add to every response.
function pluginHeaders (headers: Record<string, unknown>): Record<string, unknown> {
  const { date: _date, connection: _connection, 'keep-alive': _keepAlive, 'content-length': _length, ...rest } = headers
  return rest
}

test('every answer of the plugin is a problem, with its headers as without the option (inject)', async (t) => {
  const app = await build()
  t.teardown(() => app.close())
  for (const c of cases) {
    const res = await app.inject({ method: c.method as 'GET', url: c.url, headers: c.headers })
    t.equal(res.statusCode, c.status, `${c.name}: status`)
    t.same(pluginHeaders(res.headers), { 'content-type': problemJson, 'cache-control': c.cacheControl, ...c.extraHeaders, ...c.routeHeaders }, `${c.name}: every header`)
    t.same(res.json(), c.body, `${c.name}: body`)
    t.same(Object.keys(res.json()).slice(0, 5), ['type', 'title', 'status', 'detail', 'code'], `${c.name}: RFC 9457's members first`)
    t.equal(Number(res.headers['content-length']), Buffer.byteLength(res.body), `${c.name}: Content-Length`)
  }
})

test('every answer of the plugin is a problem over a real socket', async (t) => {
  const app = await build()
  const { origin } = await listen(t, app)
  for (const c of cases) {
    const res = await request(origin + c.url, { method: c.method, headers: c.headers })
    t.equal(res.statusCode, c.status, `${c.name}: status`)
    t.same(pluginHeaders(res.headers), { 'content-type': problemJson, 'cache-control': c.cacheControl, ...c.extraHeaders, ...c.routeHeaders }, `${c.name}: every header`)
    t.same(await res.body.json(), c.body, `${c.name}: body`)
  }
})

test('each body is valid against its exported problem schema, and not against another code\'s', async (t) => {
  const app = await build()
  t.teardown(() => app.close())
  const { problemSchemas } = notImplemented
  for (const c of cases) {
    const res = await app.inject({ method: c.method as 'GET', url: c.url, headers: c.headers })
    const body = res.json()
    t.ok(Value.Check(problemSchemas[body.code as keyof typeof problemSchemas], body), `${c.name}: ${body.code} problem schema`)
    const other = body.code === 'FST_METHOD_NOT_ALLOWED' ? 'FST_FEATURE_DISABLED' : 'FST_METHOD_NOT_ALLOWED'
    t.notOk(Value.Check(problemSchemas[other], body), `${c.name}: not a ${other} problem`)
    t.notOk(Value.Check(notImplemented.schemas[body.code as keyof typeof problemSchemas], body), `${c.name}: not the plain error body`)
  }
})

test('the types differ per code, and each names a section of docs/problems.md', async (t) => {
  const app = await build()
  t.teardown(() => app.close())
  const types = new Map<string, string>()
  for (const c of cases) {
    const body = (await app.inject({ method: c.method as 'GET', url: c.url, headers: c.headers })).json()
    types.set(body.code, body.type)
  }
  t.equal(new Set(types.values()).size, types.size, 'one type per code')
  t.equal(types.size, Object.keys(notImplemented.errors).length, 'every code was answered')
  // GitHub's anchor for a heading is its text, lower-cased, spaces as hyphens.
  const headings = readFileSync(join(__dirname, '..', 'docs', 'problems.md'), 'utf8').split('\n')
    .filter((line) => /^#{2,3} /.test(line))
    .map((line) => line.replace(/^#+ /, '').trim().toLowerCase().replaceAll(' ', '-'))
  for (const [code, type] of types) {
    t.ok(type.startsWith(docsPage), `${code}: the project's page`)
    t.ok(headings.includes(type.slice(docsPage.length)), `${code}: docs/problems.md has the section ${type.slice(docsPage.length)}`)
  }
})

test('typeBase: each code\'s slug is appended to it as it is', async (t) => {
  for (const [typeBase, expected] of [
    ['https://api.example.com/problems/', 'https://api.example.com/problems/method-not-allowed'],
    ['urn:example:problem:', 'urn:example:problem:method-not-allowed'],
    ['https://example.com/errors#', 'https://example.com/errors#method-not-allowed'],
    ['https://example.com/errors?type=', 'https://example.com/errors?type=method-not-allowed']
  ]) {
    const app = await build({ problemDetails: { typeBase } })
    const res = await app.inject({ method: 'DELETE', url: '/users' })
    t.equal(res.json().type, expected, typeBase)
    t.equal(res.json().title, 'Method Not Allowed', `${typeBase}: the title does not depend on it`)
    await app.close()
  }
})

const badTypeBases: Array<[string, unknown, string]> = [
  ['a relative reference', '/problems/', '"/problems/"'],
  ['no scheme', 'example.com/problems/', '"example.com/problems/"'],
  ['a space', 'https://example.com/my problems/', '"https://example.com/my problems/"'],
  ['an ending the slug cannot follow', 'https://example.com/problems', '"https://example.com/problems"'],
  ['a URL that does not parse', 'https://exa%mple.com/', '"https://exa%mple.com/"'],
  ['not a string', 42, '42'],
  ['missing', undefined, 'undefined']
]

for (const [name, typeBase, shown] of badTypeBases) {
  test(`registration fails clearly on a typeBase with ${name}`, async (t) => {
    const app = Fastify()
    app.register(notImplemented, { problemDetails: typeBase === undefined ? {} : { typeBase } } as unknown as Options)
    await t.rejects(Promise.resolve(app.ready()), {
      name: 'TypeError',
      message: `fastify-not-implemented: option "problemDetails.typeBase" must be an absolute URI ending in "/", "#", ":" or "=", to which each code's slug is appended (for example "https://example.com/problems/"), got ${shown}`
    })
  })
}

test('registration fails clearly on a problemDetails that is no boolean or { typeBase }', async (t) => {
  for (const [value, message] of [
    ['yes', 'option "problemDetails" must be a boolean or { typeBase }, got "yes"'],
    [1, 'option "problemDetails" must be a boolean or { typeBase }, got 1'],
    [['https://example.com/'], 'option "problemDetails" must be a boolean or { typeBase }, got https://example.com/'],
    [{ typeBase: 'https://example.com/', base: 'x' }, 'option "problemDetails" has an unknown key "base"; known keys: typeBase']
  ] as Array<[unknown, string]>) {
    const app = Fastify()
    app.register(notImplemented, { problemDetails: value } as unknown as Options)
    await t.rejects(Promise.resolve(app.ready()), { name: 'TypeError', message: `fastify-not-implemented: ${message}` }, JSON.stringify(value))
  }
})

test('the 204 to OPTIONS is no problem: no body, its own headers', async (t) => {
  const app = await build()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'OPTIONS', url: '/users' })
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  t.same(pluginHeaders(res.headers), { allow: 'GET, HEAD, OPTIONS', 'cache-control': 'max-age=60', vary: 'Accept-Version' })
})

test('routes the plugin does not answer for are untouched, and the 404 stays Fastify\'s', async (t) => {
  const app = await build()
  t.teardown(() => app.close())
  const ok = await app.inject({ method: 'GET', url: '/users' })
  t.equal(ok.statusCode, 200)
  t.equal(ok.headers['content-type'], 'application/json; charset=utf-8')
  const missing = await app.inject({ method: 'GET', url: '/nowhere' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.headers['content-type'], 'application/json; charset=utf-8')
  t.same(missing.json(), { message: 'Route GET:/nowhere not found', error: 'Not Found', statusCode: 404 })
})

test('the problem schemas are registered with sharedSchemas, beside the error bodies, and only with problemDetails', async (t) => {
  const ids = (app: FastifyInstance): string[] => Object.keys(app.getSchemas()).filter((id) => id.startsWith('fastify-not-implemented/')).sort()
  const codes = Object.keys(notImplemented.errors).sort()
  const plain = codes.map((code) => `fastify-not-implemented/${code}`)
  const problems = codes.map((code) => `fastify-not-implemented/problem/${code}`)
  const sharedOnly = Fastify()
  t.teardown(() => sharedOnly.close())
  await sharedOnly.register(notImplemented, { sharedSchemas: true })
  t.same(ids(sharedOnly), plain, 'sharedSchemas without problemDetails: the error bodies alone')
  const problemsOnly = await build()
  t.teardown(() => problemsOnly.close())
  t.same(ids(problemsOnly), [], 'problemDetails without sharedSchemas: nothing registered')
  const both = await build({ sharedSchemas: true })
  t.teardown(() => both.close())
  t.same(ids(both), [...plain, ...problems].sort(), 'both: the problem bodies too')
  const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value))
  const registered = both.getSchemas() as Record<string, unknown>
  for (const code of codes as Array<keyof typeof notImplemented.problemSchemas>) {
    t.same(json(registered[`fastify-not-implemented/problem/${code}`]), json(notImplemented.problemSchemas[code]), `${code}: registered under its $id`)
  }
})

test('without the option the bodies are Fastify\'s error shape, as before', async (t) => {
  for (const problemDetails of [false, undefined]) {
    const app = await build({ problemDetails })
    const notAllowed = await app.inject({ method: 'DELETE', url: '/users' })
    t.equal(notAllowed.headers['content-type'], 'application/json; charset=utf-8')
    t.same(notAllowed.json(), notAllowedBody('DELETE', '/users', ['GET', 'HEAD', 'OPTIONS']))
    const notImpl = await app.inject({ method: 'PROPFIND', url: '/users' })
    t.same(notImpl.json(), notImplementedBody('PROPFIND'))
    await app.close()
  }
})

interface ProblemFields {
  type?: string
  title?: string
  status?: number
  detail?: string
  problem?: Record<string, unknown>
  allow?: string[]
  headers?: Record<string, string>
}

test('an app\'s own error handler gets every member, the whole problem and the headers', async (t) => {
  const seen: Array<FastifyError & ProblemFields> = []
  const app = await build({}, (app) => {
    // The one-liner of the README: the plugin's problem, rendered by the app.
    app.setErrorHandler((error: FastifyError & ProblemFields, _request, reply) => {
      seen.push(error)
      return reply.type('application/problem+json').send({ ...error.problem, instance: reply.request.url })
    })
  })
  const { origin } = await listen(t, app)
  for (const c of cases) {
    const res = await request(origin + c.url, { method: c.method, headers: c.headers })
    t.equal(res.statusCode, c.status, `${c.name}: status`)
    t.same(pluginHeaders(res.headers), { 'content-type': problemJson, 'cache-control': c.cacheControl, ...c.extraHeaders, ...c.routeHeaders }, `${c.name}: headers intact`)
    t.same(await res.body.json(), { ...c.body, instance: c.url }, `${c.name}: the app's body`)
    const error = seen[seen.length - 1]
    t.match(error, {
      type: c.body.type,
      title: c.body.title,
      status: c.status,
      statusCode: c.status,
      detail: c.body.detail,
      code: c.body.code,
      message: c.body.detail
    }, `${c.name}: the members on the error`)
    t.same(error.problem, c.body, `${c.name}: error.problem is the plugin's body`)
    t.same(error.headers, { 'cache-control': c.cacheControl, ...c.extraHeaders }, `${c.name}: error.headers`)
  }
  t.same(seen[0].allow, ['GET', 'HEAD', 'OPTIONS'], 'the extra fields are on the error as before')
})

test('an app\'s handler that renders its own format gets the Content-Type it sets, never problem+json', async (t) => {
  const app = await build()
  app.setErrorHandler((error: FastifyError, _request, reply) => reply.send({ oops: error.code }))
  const res = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(res.statusCode, 405)
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  t.same(res.json(), { oops: 'FST_METHOD_NOT_ALLOWED' })
  t.equal(res.headers.allow, 'GET, HEAD, OPTIONS')
})

test('an app\'s handler that passes the error on leaves Fastify\'s body, as JSON', async (t) => {
  const app = await build()
  app.setErrorHandler(async (error) => {
    throw error
  })
  const res = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(res.statusCode, 405)
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8', 'the type says what the body is')
  t.same(res.json(), { statusCode: 405, code: 'FST_METHOD_NOT_ALLOWED', error: 'Method Not Allowed', message: 'Method DELETE is not allowed on /users' })
  t.equal(res.headers.allow, 'GET, HEAD, OPTIONS')
  t.equal(res.headers['cache-control'], 'max-age=60')
})

test('without the option an app\'s handler gets no problem members', async (t) => {
  const app = await build({ problemDetails: false })
  let seen: (FastifyError & ProblemFields) | undefined
  app.setErrorHandler((error: FastifyError & ProblemFields, _request, reply) => {
    seen = error
    return reply.send({})
  })
  await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(seen?.code, 'FST_METHOD_NOT_ALLOWED')
  t.same([seen?.type, seen?.title, seen?.status, seen?.detail, seen?.problem], [undefined, undefined, undefined, undefined, undefined])
  await app.close()
})

test('the options that change an answer change its problem alike', async (t) => {
  const app = await build({ tierRequiredStatus: 402, exposeRequiredTier: false, retryAfter: 30, cacheControl: { FST_METHOD_NOT_ALLOWED: false } })
  t.teardown(() => app.close())
  const tier = await app.inject({ method: 'GET', url: '/reports', headers: { 'x-tier': 'free' } })
  t.equal(tier.statusCode, 402)
  t.same(tier.json(), {
    type: docsPage + 'tier-required',
    title: 'Plan Required',
    status: 402,
    detail: 'This endpoint is not available on the current plan',
    code: 'FST_TIER_REQUIRED'
  }, 'the title stays the type\'s; the plan is not named')
  const unavailable = await app.inject({ method: 'GET', url: '/reports', headers: { 'x-tier': 'broken' } })
  t.equal(unavailable.headers['retry-after'], '30')
  const notAllowed = await app.inject({ method: 'DELETE', url: '/users' })
  t.equal(notAllowed.headers['cache-control'], undefined)
  t.equal(notAllowed.headers['content-type'], problemJson)
})

test('a route\'s own response schema for the status does not reshape the problem', async (t) => {
  const app = await build()
  t.teardown(() => app.close())
  app.get('/own', {
    config: { tier: 'plus' },
    schema: { response: { 501: { type: 'object', properties: { reason: { type: 'string' } } } } }
  }, async () => ({}))
  app.get('/typed', {
    config: { tier: 'plus' },
    schema: { response: { 501: notImplemented.problemSchemas.FST_TIER_REQUIRED } }
  }, async () => ({}))
  for (const url of ['/own', '/typed']) {
    const res = await app.inject({ method: 'GET', url, headers: { 'x-tier': 'free' } })
    t.equal(res.statusCode, 501, url)
    t.equal(res.headers['content-type'], problemJson, url)
    t.same(res.json(), {
      type: docsPage + 'tier-required',
      title: 'Plan Required',
      status: 501,
      detail: 'This endpoint requires the plus plan',
      code: 'FST_TIER_REQUIRED',
      requiredTier: 'plus'
    }, `${url}: the whole problem`)
  }
})

test('docs/problems.md has a section for the type of every code of the outcome table', async (t) => {
  const { problemTypes, defaultTypeBase } = require('../dist/problem.js') as typeof import('../lib/problem')
  const { errorOutcomes } = require('../dist/outcomes.js') as typeof import('../lib/outcomes')
  const page = readFileSync(join(__dirname, '..', 'docs', 'problems.md'), 'utf8')
  const types = problemTypes(defaultTypeBase)
  for (const code of Object.keys(errorOutcomes) as Array<keyof typeof errorOutcomes>) {
    const slug = types[code].type.slice(defaultTypeBase.length)
    const section = page.split(`\n### ${slug}\n`)[1]?.split('\n### ')[0] ?? ''
    t.match(section, `\`${code}\`, title "${errorOutcomes[code].title}"`, `${code}: its section names the code and the title`)
  }
})
