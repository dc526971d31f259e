import { test, type Test } from 'tap'
import Fastify from 'fastify'
import { Agent, interceptors, request } from 'undici'
import notImplemented = require('../..')
import { listen } from '../helpers/http'
import { nginxOrReport, startNginx } from '../helpers/nginx'

// Cache-poisoned denial of service by method override (CPDoS "HMO"): a GET carrying
// X-HTTP-Method-Override (or X-HTTP-Method, X-Method-Override) must get the resource's GET
// answer. Were the origin to act on it, a cache would store a 405 or 501 (both cacheable
// by default) under the GET's key and serve it to every later caller.

const overrideHeaders = ['x-http-method-override', 'x-http-method', 'x-method-override']
const overrideValues = ['DELETE', 'PUT', 'POST', 'BREW', 'PROPFIND', 'OPTIONS', 'delete']

async function buildApp (t: Test) {
  const app = Fastify()
  const calls: string[] = []
  await app.register(notImplemented, { logLevel: 'silent' })
  app.get('/resource', async (request, reply) => {
    calls.push(`GET ${request.url}`)
    reply.header('cache-control', 'max-age=60')
    return { resource: true }
  })
  app.delete('/resource', async (request) => {
    calls.push(`DELETE ${request.url}`)
    return { deleted: true }
  })
  app.get('/only-get', async (request, reply) => {
    calls.push(`GET ${request.url}`)
    reply.header('cache-control', 'max-age=60')
    return { resource: true }
  })
  return { calls, ...await listen(t, app) }
}

function cases (): Array<{ header: string, value: string, path: string }> {
  const list = []
  for (const header of overrideHeaders) {
    for (const value of overrideValues) {
      for (const path of ['/resource', '/only-get']) list.push({ header, value, path })
    }
  }
  return list
}

test('the origin ignores method-override headers on a GET', async (t) => {
  const { calls, origin } = await buildApp(t)
  for (const { header, value, path } of cases()) {
    const response = await request(`${origin}${path}`, { headers: { [header]: value } })
    const body = await response.body.json()
    t.equal(response.statusCode, 200, `${header}: ${value} on GET ${path}`)
    t.same(body, { resource: true })
    t.equal(response.headers.allow, undefined)
  }
  t.equal(calls.length, cases().length, 'every one ran the GET handler')
  t.notOk(calls.some((call) => call.startsWith('DELETE')), 'no DELETE handler ran')
})

test('through undici\'s shared cache, a later plain GET gets the 200', async (t) => {
  const { origin } = await buildApp(t)
  const agent = new Agent()
  t.teardown(() => agent.close())
  const dispatcher = agent.compose(interceptors.cache({ type: 'shared' }))
  let n = 0
  for (const { header, value, path } of cases()) {
    const url = `${path}?case=${n++}`
    const poisoned = await dispatcher.request({ origin, path: url, method: 'GET', headers: { [header]: value } })
    await poisoned.body.dump()
    const plain = await dispatcher.request({ origin, path: url, method: 'GET' })
    t.same(await plain.body.json(), { resource: true }, `${header}: ${value} then GET ${url}`)
    t.equal(plain.statusCode, 200)
  }
})

const binary = nginxOrReport('nginx cache tests')

if (binary !== undefined) {
  test('through nginx, a later plain GET gets the 200', async (t) => {
    const { port } = await buildApp(t)
    const nginx = await startNginx(binary, port)
    t.teardown(() => nginx.stop())
    const statuses: Record<string, number> = {}
    let n = 0
    for (const { header, value, path } of cases()) {
      const url = `${nginx.origin}${path}?case=${n++}`
      const poisoned = await request(url, { headers: { [header]: value } })
      await poisoned.body.dump()
      t.equal(poisoned.statusCode, 200, `${header}: ${value} on GET ${path}`)
      t.equal(poisoned.headers['x-cache-status'], 'MISS')
      const plain = await request(url)
      t.same(await plain.body.json(), { resource: true })
      t.equal(plain.statusCode, 200, `then a plain GET ${path}`)
      const status = String(plain.headers['x-cache-status'])
      statuses[status] = (statuses[status] ?? 0) + 1
    }
    t.same(statuses, { HIT: cases().length }, 'each plain GET was served the stored 200')
    t.comment(`nginx CPDoS: ${cases().length} override requests, then ${cases().length} plain GETs: ${JSON.stringify(statuses)}`)
  })
}
