import { test } from 'tap'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import Fastify, { type FastifyInstance } from 'fastify'
import { request } from 'undici'
import notImplemented = require('..')
import { head, listen, rawExchange } from './helpers/http'

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

// Practice differs for a version a server does not have: 406 (content negotiation), 404 (no
// such resource), or this plugin's 501. `versionNotImplementedStatus` picks; everything else
// about the answer stays: its code, its `version`, its Cache-Control and Vary.
async function build (options: Options = {}): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(notImplemented, options)
  app.get('/search', { constraints: { version: '1.0.0' } }, async () => [])
  return app
}

const reasons: Record<number, string> = { 501: 'Not Implemented', 406: 'Not Acceptable', 404: 'Not Found' }

function expectedBody (status: number): Record<string, unknown> {
  return {
    statusCode: status,
    code: 'FST_VERSION_NOT_IMPLEMENTED',
    error: reasons[status],
    message: 'Version 2.x of GET /search is not implemented',
    version: '2.x'
  }
}

for (const status of [undefined, 501, 406, 404] as const) {
  const expected = status ?? 501
  const name = status === undefined ? 'by default' : `with versionNotImplementedStatus: ${status}`

  test(`${name}, a missing version answers ${expected} with Vary: Accept-Version (inject)`, async (t) => {
    const app = await build(status === undefined ? {} : { versionNotImplementedStatus: status })
    t.teardown(() => app.close())
    const res = await app.inject({ method: 'GET', url: '/search', headers: { 'accept-version': '2.x' } })
    t.equal(res.statusCode, expected)
    t.equal(res.headers.vary, 'Accept-Version')
    t.equal(res.headers['cache-control'], 'max-age=60', 'Cache-Control does not depend on the status')
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    t.same(res.json(), expectedBody(expected))
    const found = await app.inject({ method: 'GET', url: '/search', headers: { 'accept-version': '1.x' } })
    t.equal(found.statusCode, 200, 'a version that exists is untouched')
  })

  test(`${name}, a missing version answers ${expected} with Vary: Accept-Version (real socket)`, async (t) => {
    const app = await build(status === undefined ? {} : { versionNotImplementedStatus: status })
    const { origin, port } = await listen(t, app)
    const res = await request(origin + '/search', { headers: { 'accept-version': '2.x' } })
    t.equal(res.statusCode, expected)
    t.equal(res.headers.vary, 'Accept-Version')
    t.equal(res.headers['cache-control'], 'max-age=60')
    t.same(await res.body.json(), expectedBody(expected))
    // One Vary line, on the wire, with the reason phrase of the status.
    const [raw] = (await rawExchange(port, head('GET', '/search', { 'Accept-Version': '2.x' }))).responses
    t.equal(raw.status, expected)
    t.same(raw.headers.vary, ['Accept-Version'])
    t.same(raw.headers['cache-control'], ['max-age=60'])
  })

  test(`${name}, with problemDetails the problem has the status and Vary`, async (t) => {
    const app = await build({ problemDetails: true, ...(status === undefined ? {} : { versionNotImplementedStatus: status }) })
    t.teardown(() => app.close())
    const res = await app.inject({ method: 'GET', url: '/search', headers: { 'accept-version': '2.x' } })
    t.equal(res.statusCode, expected)
    t.equal(res.headers.vary, 'Accept-Version')
    t.equal(res.headers['cache-control'], 'max-age=60')
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.same(res.json(), {
      type: 'https://github.com/fastify-not-implemented/fastify-not-implemented/blob/main/docs/problems.md#version-not-implemented',
      title: 'Version Not Implemented',
      status: expected,
      detail: 'Version 2.x of GET /search is not implemented',
      code: 'FST_VERSION_NOT_IMPLEMENTED',
      version: '2.x'
    })
  })
}

test('the decision message and the error an app gets carry the chosen status', async (t) => {
  const app = await build({ versionNotImplementedStatus: 406 })
  t.teardown(() => app.close())
  const decisions: Array<{ code: string, statusCode: number }> = []
  const onDecision = (message: unknown): void => { decisions.push(message as { code: string, statusCode: number }) }
  subscribe(notImplemented.diagnosticsChannels.decision, onDecision)
  t.teardown(() => unsubscribe(notImplemented.diagnosticsChannels.decision, onDecision))
  let seen: { statusCode?: number, version?: string } | undefined
  app.setErrorHandler((error: { statusCode?: number, version?: string }, _request, reply) => {
    seen = error
    return reply.send({ handled: true })
  })
  const res = await app.inject({ method: 'GET', url: '/search', headers: { 'accept-version': '2.x' } })
  t.equal(res.statusCode, 406)
  t.equal(res.headers.vary, 'Accept-Version')
  t.match(seen, { statusCode: 406, version: '2.x' })
  t.ok(seen instanceof notImplemented.errors.FST_VERSION_NOT_IMPLEMENTED)
  t.match(decisions, [{ code: 'FST_VERSION_NOT_IMPLEMENTED', statusCode: 406 }])
})

test('an Accept-Version with no routes at the path keeps Fastify\'s 404 whatever the option', async (t) => {
  const app = await build({ versionNotImplementedStatus: 406 })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/elsewhere', headers: { 'accept-version': '2.x' } })
  t.equal(res.statusCode, 404)
  t.same(res.json(), { message: 'Route GET:/elsewhere not found', error: 'Not Found', statusCode: 404 })
})
