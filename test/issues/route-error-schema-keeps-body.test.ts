import { test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import notImplemented = require('../..')
import { tierRequiredBody, tierUnavailableBody } from '../helpers/bodies'
import { head, listen, rawExchange } from '../helpers/http'

// Under Fastify's default error handler (without `problemDetails`) the plugin sent its body
// as an object, which went through the route's own response schema for that status: a
// route documenting its own 5xx shape, as many apps do, turned a 501 FST_TIER_REQUIRED into
// `{"message":"This endpoint requires the plus plan"}`, without `statusCode`, `code`,
// `requiredTier` or `upgradeUrl`, and the 503 into its message alone. A client could no
// longer tell the plan it needs, nor a missing plan from an outage. The plugin now writes
// its documented body itself, as it already did a problem+json body.

const upgradeUrl = 'https://example.com/upgrade'
const ownShape = { type: 'object', properties: { message: { type: 'string' } } }

function planOf (request: FastifyRequest): string | undefined {
  const plan = request.headers['x-plan']
  if (plan === 'broken') throw new Error('plan service down')
  return typeof plan === 'string' ? plan : undefined
}

async function build (): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(notImplemented, { tiers: ['free', 'plus'], resolveTier: planOf, upgradeUrl, logLevel: 'silent' })
  app.get('/reports', { config: { tier: 'plus' }, schema: { response: { 200: { type: 'string' }, 501: ownShape, 503: ownShape } } }, async () => 'report')
  return app
}

const tierRequired = { ...tierRequiredBody('plus'), upgradeUrl }
const json = 'application/json; charset=utf-8'

// Every header of each answer, but the Date and connection handling of the transport.
const expected = {
  free: {
    status: 501,
    body: tierRequired,
    headers: {
      'cache-control': 'private, no-store',
      link: `<${upgradeUrl}>; rel="payment"`,
      'content-type': json,
      'content-length': String(Buffer.byteLength(JSON.stringify(tierRequired)))
    }
  },
  broken: {
    status: 503,
    body: tierUnavailableBody,
    headers: {
      'cache-control': 'no-store',
      'retry-after': '5',
      'content-type': json,
      'content-length': String(Buffer.byteLength(JSON.stringify(tierUnavailableBody)))
    }
  }
}

function withoutTransport (headers: Record<string, unknown>): Record<string, unknown> {
  const { date, connection, 'keep-alive': keepAlive, ...rest } = headers
  return rest
}

test('a route with its own 501 and 503 schemas gets the documented bodies (inject)', async (t) => {
  const app = await build()
  t.teardown(() => app.close())
  for (const [plan, answer] of Object.entries(expected)) {
    const response = await app.inject({ url: '/reports', headers: { 'x-plan': plan } })
    t.equal(response.statusCode, answer.status, plan)
    t.same(withoutTransport(response.headers), answer.headers, `${plan}: every header`)
    t.same(response.json(), answer.body, `${plan}: the whole documented body`)
  }
  const allowed = await app.inject({ url: '/reports', headers: { 'x-plan': 'plus' } })
  t.equal(allowed.statusCode, 200, 'the plan that has it reaches the handler')
  t.equal(allowed.body, 'report')
})

test('a route with its own 501 and 503 schemas gets the documented bodies (socket)', async (t) => {
  const app = await build()
  const { port } = await listen(t, app)
  for (const [plan, answer] of Object.entries(expected)) {
    const { responses } = await rawExchange(port, head('GET', '/reports', { 'X-Plan': plan }))
    t.equal(responses.length, 1, plan)
    const [response] = responses
    t.equal(response.status, answer.status, plan)
    const headers = Object.fromEntries(Object.entries(response.headers).map(([name, values]) => [name, values.join('\n')]))
    t.same(withoutTransport(headers), answer.headers, `${plan}: every header, each once`)
    t.same(JSON.parse(response.body), answer.body, `${plan}: the whole documented body`)
  }
})
