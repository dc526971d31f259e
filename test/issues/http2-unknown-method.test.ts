import { test } from 'tap'
import { constants } from 'node:http2'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import Fastify from 'fastify'
import notImplemented = require('../..')
import { http2Request, listen } from '../helpers/http'
import { logCapture } from '../helpers/gating'

// Over HTTP/2 a client may send any method token. Node's HTTP/1.1 parser refuses one it does
// not know (clientErrorHandler answers that 501), but over HTTP/2 it reached Fastify, whose
// not-found router has no tree for it: Fastify answered 404 FST_ERR_NOT_FOUND and logged
// it as a Fastify bug, where the README promised the same answers as over HTTP/1.1. It is
// 501: the server does not recognise the method (RFC 9110 §15.6.2).

const { HTTP2_HEADER_METHOD: method, HTTP2_HEADER_PATH: path, HTTP2_HEADER_STATUS: status } = constants

test('HTTP/2: a method no router knows gets 501, logged and published once', async (t) => {
  const { lines, stream } = logCapture()
  const app = Fastify({ http2: true, logger: { stream } })
  await app.register(notImplemented)
  let hookRan = false
  app.addHook('onRequest', async () => { hookRan = true })
  app.get('/users', async () => [])
  const { origin } = await listen(t, app)

  const messages: any[] = []
  const onMessage = (message: unknown) => messages.push(message)
  subscribe(notImplemented.diagnosticsChannels.decision, onMessage)
  t.teardown(() => unsubscribe(notImplemented.diagnosticsChannels.decision, onMessage))

  for (const url of ['/users', '/nowhere']) {
    const response = await http2Request(origin, { [method]: 'BREW', [path]: url })
    t.equal(response.headers[status], 501, url)
    t.equal(response.headers['cache-control'], 'max-age=60')
    t.equal(response.headers['content-type'], 'application/json; charset=utf-8')
    t.equal(response.headers['content-length'], String(Buffer.byteLength(response.body)))
    t.notOk('connection' in response.headers)
    t.same(JSON.parse(response.body), {
      statusCode: 501,
      code: 'FST_METHOD_NOT_IMPLEMENTED',
      error: 'Not Implemented',
      message: 'Method BREW is not implemented by this server'
    })
  }
  t.notOk(hookRan, 'answered before any route lifecycle, as Fastify made no request of it')
  t.same(messages, [
    { request: null, code: 'FST_METHOD_NOT_IMPLEMENTED', statusCode: 501, method: 'BREW', route: null },
    { request: null, code: 'FST_METHOD_NOT_IMPLEMENTED', statusCode: 501, method: 'BREW', route: null }
  ])
  const decisions = lines.filter((line) => line.notImplemented !== undefined)
  t.same(decisions.map((line) => [line.level, line.msg, line.notImplemented]), [
    [30, 'Method BREW is not implemented by this server', { code: 'FST_METHOD_NOT_IMPLEMENTED', statusCode: 501, method: 'BREW' }],
    [30, 'Method BREW is not implemented by this server', { code: 'FST_METHOD_NOT_IMPLEMENTED', statusCode: 501, method: 'BREW' }]
  ])
  t.notOk(lines.some((line) => /fastify bug/.test(String(line.msg))), 'no "Fastify bug" warning')

  const known = await http2Request(origin, { [method]: 'DELETE', [path]: '/users' })
  t.equal(known.headers[status], 501, 'a method Node knows and no route has: the not-found hook\'s 501, as before')
  t.ok(hookRan, 'which runs the app\'s hooks')
})

test('HTTP/2: the 501 follows problemDetails and cacheControl', async (t) => {
  const app = Fastify({ http2: true })
  await app.register(notImplemented, { problemDetails: true, cacheControl: { FST_METHOD_NOT_IMPLEMENTED: false } })
  app.get('/users', async () => [])
  const { origin } = await listen(t, app)
  const response = await http2Request(origin, { [method]: 'BREW', [path]: '/users' })
  t.equal(response.headers[status], 501)
  t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.notOk('cache-control' in response.headers)
  t.match(JSON.parse(response.body), { status: 501, code: 'FST_METHOD_NOT_IMPLEMENTED', detail: 'Method BREW is not implemented by this server', title: 'Method Not Implemented' })
})

test('HTTP/2: a token longer than 32 characters keeps Fastify\'s 404', async (t) => {
  const app = Fastify({ http2: true })
  await app.register(notImplemented)
  app.get('/users', async () => [])
  const { origin } = await listen(t, app)
  const long = 'X'.repeat(33)
  const response = await http2Request(origin, { [method]: long, [path]: '/users' })
  t.equal(response.headers[status], 404)
  t.equal(JSON.parse(response.body).code, 'FST_ERR_NOT_FOUND')
  const longest = await http2Request(origin, { [method]: 'X'.repeat(32), [path]: '/users' })
  t.equal(longest.headers[status], 501)
})
