import { test } from 'tap'
import { createServer, type RequestListener } from 'node:http'
import { connect, type Socket } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import notImplemented = require('..')
import { notImplementedBody } from './helpers/bodies'
import { logCapture, type LogLine } from './helpers/gating'
import { head, listen, rawExchange } from './helpers/http'

type Options = NonNullable<Parameters<typeof notImplemented>[1]>

// An app with the exported client error handler, its log lines kept.
async function build (pluginOptions: Options | false = {}, serverOptions: FastifyServerOptions = {}): Promise<{ app: FastifyInstance, logs: LogLine[] }> {
  const { lines: logs, stream } = logCapture()
  const app = Fastify({
    ...serverOptions,
    clientErrorHandler: notImplemented.clientErrorHandler,
    logger: { level: 'trace', stream }
  })
  if (pluginOptions !== false) await app.register(notImplemented, pluginOptions)
  app.get('/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, 30))
    return { slow: true }
  })
  app.get('/fast', async () => ({ fast: true }))
  return { app, logs }
}

const brew = 'BREW /pot HTTP/1.1\r\nHost: localhost\r\n\r\n'

test('a method token Node\'s parser refuses gets 501 with Connection: close', async (t) => {
  const { app, logs } = await build()
  const { port } = await listen(t, app)
  for (const method of ['BREW', 'FOO', 'GETX', 'X-CUSTOM_1']) {
    const exchange = await rawExchange(port, `${method} /pot HTTP/1.1\r\nHost: localhost\r\n\r\n`, { untilClosed: true })
    const [response] = exchange.responses
    t.equal(response.status, 501, method)
    t.same(JSON.parse(response.body), notImplementedBody(method))
    t.same(response.headers.connection, ['close'])
    t.same(response.headers['cache-control'], ['max-age=60'])
    t.same(response.headers['content-type'], ['application/json; charset=utf-8'])
    t.equal(exchange.closed, true)
  }
  const decisions = logs.filter((line) => line.notImplemented !== undefined)
  t.equal(decisions.length, 4, 'one log line per answer')
  t.match(decisions[0], { level: 30, msg: 'Method BREW is not implemented by this server', notImplemented: { code: 'FST_METHOD_NOT_IMPLEMENTED', statusCode: 501, method: 'BREW' } })
})

test('the plugin\'s Cache-Control and log level apply when it is registered on that instance', async (t) => {
  const custom = await build({ cacheControl: { FST_METHOD_NOT_IMPLEMENTED: 'public, max-age=300' }, logLevel: 'silent' })
  const { port } = await listen(t, custom.app)
  const exchange = await rawExchange(port, brew)
  t.same(exchange.responses[0].headers['cache-control'], ['public, max-age=300'])
  t.same(custom.logs.filter((line) => line.notImplemented !== undefined), [], 'silent: no log line')

  const none = await build({ cacheControl: { FST_METHOD_NOT_IMPLEMENTED: false }, logLevel: 'warn' })
  const other = await listen(t, none.app)
  const bare = await rawExchange(other.port, brew)
  t.equal(bare.responses[0].status, 501)
  t.equal(bare.responses[0].headers['cache-control'], undefined, 'false sends none')
  t.match(none.logs.filter((line) => line.notImplemented !== undefined), [{ level: 40 }])

  const alone = await build(false)
  const third = await listen(t, alone.app)
  const defaults = await rawExchange(third.port, brew)
  t.equal(defaults.responses[0].status, 501, 'the handler works without the plugin registered')
  t.same(defaults.responses[0].headers['cache-control'], ['max-age=60'])
})

test('garbage keeps Fastify\'s 400, a header overflow its 431', async (t) => {
  const { app } = await build()
  const { port } = await listen(t, app)
  const cases = [
    { name: 'control bytes', bytes: '\x01\x02 /pot HTTP/1.1\r\nHost: localhost\r\n\r\n' },
    { name: 'a token too long to be a method', bytes: `${'A'.repeat(40)} /pot HTTP/1.1\r\nHost: localhost\r\n\r\n` },
    { name: 'no request target', bytes: 'BREW\r\n\r\n' },
    { name: 'no method', bytes: ' /pot HTTP/1.1\r\nHost: localhost\r\n\r\n' },
    { name: 'a bad request target', bytes: 'GET /a b c HTTP/1.1\r\n\r\n' }
  ]
  for (const { name, bytes } of cases) {
    const exchange = await rawExchange(port, bytes, { untilClosed: true })
    t.equal(exchange.responses[0].status, 400, name)
    t.same(JSON.parse(exchange.responses[0].body), { error: 'Bad Request', message: 'Client Error', statusCode: 400 })
    t.equal(exchange.responses[0].headers['cache-control'], undefined)
    t.equal(exchange.closed, true)
  }
  const overflow = await rawExchange(port, head('GET', '/fast', { 'X-Big': 'a'.repeat(20 * 1024) }), { untilClosed: true })
  t.equal(overflow.responses[0].status, 431)
  t.same(JSON.parse(overflow.responses[0].body), { error: 'Request Header Fields Too Large', message: 'Exceeded maximum allowed HTTP header size', statusCode: 431 })
})

test('a request timeout keeps Fastify\'s 408', async (t) => {
  const serverFactory = (handler: RequestListener) => createServer({ requestTimeout: 200, headersTimeout: 200, connectionsCheckingInterval: 20 }, handler)
  const { app, logs } = await build({}, { serverFactory })
  const { port } = await listen(t, app)
  const exchange = await rawExchange(port, 'GET /fast HTTP/1.1\r\nHost: localhost\r\n', { untilClosed: true })
  t.equal(exchange.responses[0].status, 408)
  t.same(JSON.parse(exchange.responses[0].body), { error: 'Request Timeout', message: 'Client Timeout', statusCode: 408 })
  t.ok(logs.some((line) => line.level === 10 && line.msg === 'client timeout'))
})

test('a connection the client reset gets no answer', async (t) => {
  const { app, logs } = await build()
  const { port } = await listen(t, app)
  const seen = new Promise<string>((resolve) => app.server.once('clientError', (error: NodeJS.ErrnoException) => setImmediate(() => resolve(String(error.code)))))
  const socket = connect(port, '127.0.0.1', () => {
    socket.write('GET /fast HTTP/1.1\r\nHost: local')
    setTimeout(() => socket.resetAndDestroy(), 20)
  })
  socket.on('error', () => {})
  t.equal(await seen, 'ECONNRESET')
  t.same(logs.filter((line) => /^client /.test(line.msg)), [], 'nothing written to a dead socket')
})

test('pipelined requests before the refused one get their answers first, in order', async (t) => {
  const { app } = await build()
  const { port } = await listen(t, app)
  const exchange = await rawExchange(port, head('GET', '/slow') + head('GET', '/fast') + brew, { untilClosed: true })
  t.same(exchange.responses.map((r) => r.status), [200, 200, 501])
  t.same(JSON.parse(exchange.responses[0].body), { slow: true })
  t.same(JSON.parse(exchange.responses[1].body), { fast: true })
  t.same(JSON.parse(exchange.responses[2].body), notImplementedBody('BREW'))
  t.same(exchange.responses[2].headers.connection, ['close'])
  t.equal(exchange.closed, true)

  // Bytes that arrive while the answers are on their way change nothing.
  const later = await rawExchange(port, [head('GET', '/slow') + brew, 'more bytes\r\n', brew], { untilClosed: true, gap: 5 })
  t.same(later.responses.map((r) => r.status), [200, 501])
})

// A socket and an app as the handler sees them, for what a real socket cannot be made to do
// on demand: what was written, ended and destroyed, and what was logged.
function fake (state: { writable: boolean, destroyed?: boolean }): { socket: Socket, app: FastifyInstance, calls: string[] } {
  const calls: string[] = []
  const socket = {
    ...state,
    destroyed: state.destroyed ?? false,
    write: (data: string) => { calls.push(`write ${data.slice(0, data.indexOf('\r\n'))}`) },
    end: (data: string) => { calls.push(`end ${data.slice(0, data.indexOf('\r\n'))}`) },
    destroy: (error?: Error) => { calls.push(`destroy${error === undefined ? '' : ` ${(error as NodeJS.ErrnoException).code}`}`) }
  }
  const log = (level: string) => (_: unknown, message: string) => { calls.push(`${level} ${message}`) }
  const app = { log: { trace: log('trace'), info: log('info') } }
  return { socket: socket as unknown as Socket, app: app as unknown as FastifyInstance, calls }
}

function clientError (code: string, fields: { rawPacket?: Buffer, bytesParsed?: number } = {}): Error {
  return Object.assign(new Error(code), { code }, fields)
}

test('a connection reset gets no answer even while its socket still looks open, as in Fastify 5.12', async (t) => {
  const { socket, app, calls } = fake({ writable: true })
  notImplemented.clientErrorHandler.call(app, clientError('ECONNRESET'), socket)
  t.same(calls, [], 'nothing logged, written or destroyed')
})

test('a socket that can no longer be written to is only destroyed, as in Fastify 5.12', async (t) => {
  const { socket, app, calls } = fake({ writable: false })
  notImplemented.clientErrorHandler.call(app, clientError('HPE_HEADER_OVERFLOW'), socket)
  t.same(calls, ['trace client header_overflow', 'destroy HPE_HEADER_OVERFLOW'])

  const writable = fake({ writable: true })
  notImplemented.clientErrorHandler.call(writable.app, clientError('HPE_HEADER_OVERFLOW'), writable.socket)
  t.same(writable.calls, ['trace client header_overflow', 'write HTTP/1.1 431 Request Header Fields Too Large', 'destroy HPE_HEADER_OVERFLOW'])

  const destroyed = fake({ writable: true, destroyed: true })
  notImplemented.clientErrorHandler.call(destroyed.app, clientError('HPE_HEADER_OVERFLOW'), destroyed.socket)
  t.same(destroyed.calls, [], 'a destroyed socket: nothing')
})

test('a refused method on a socket that can no longer be written to is only destroyed', async (t) => {
  const { socket, app, calls } = fake({ writable: false })
  notImplemented.clientErrorHandler.call(app, clientError('HPE_INVALID_METHOD', { rawPacket: Buffer.from(brew), bytesParsed: 1 }), socket)
  t.same(calls, ['destroy'])
})

test('a refused method without the packet Node always attaches keeps the 400', async (t) => {
  const { socket, app, calls } = fake({ writable: true })
  notImplemented.clientErrorHandler.call(app, clientError('HPE_INVALID_METHOD'), socket)
  t.same(calls, ['trace client error', 'write HTTP/1.1 400 Bad Request', 'destroy HPE_INVALID_METHOD'])
})

test('with problemDetails the raw 501 is a problem, byte for byte', async (t) => {
  const { app } = await build({ problemDetails: { typeBase: 'https://api.example.com/problems/' }, cacheControl: { FST_METHOD_NOT_IMPLEMENTED: 'max-age=300' } })
  const { port } = await listen(t, app)
  const exchange = await rawExchange(port, brew, { untilClosed: true })
  const body = '{"type":"https://api.example.com/problems/method-not-implemented","title":"Method Not Implemented","status":501,' +
    '"detail":"Method BREW is not implemented by this server","code":"FST_METHOD_NOT_IMPLEMENTED"}'
  t.equal(exchange.text, 'HTTP/1.1 501 Not Implemented\r\n' +
    'Content-Type: application/problem+json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Cache-Control: max-age=300\r\n' +
    'Connection: close\r\n\r\n' +
    body)
  t.equal(exchange.closed, true)

  const plain = await build({ problemDetails: false })
  const other = await listen(t, plain.app)
  const [response] = (await rawExchange(other.port, brew, { untilClosed: true })).responses
  t.same(response.headers['content-type'], ['application/json; charset=utf-8'], 'without the option: JSON, as before')
  t.same(JSON.parse(response.body), notImplementedBody('BREW'))
})

test('with problemDetails: true the raw 501 names the documented type', async (t) => {
  const { app } = await build({ problemDetails: true })
  const { port } = await listen(t, app)
  const [response] = (await rawExchange(port, brew, { untilClosed: true })).responses
  t.equal(response.status, 501)
  t.same(response.headers['content-type'], ['application/problem+json; charset=utf-8'])
  t.same(response.headers['cache-control'], ['max-age=60'])
  t.same(response.headers.connection, ['close'])
  t.same(JSON.parse(response.body), {
    type: 'https://github.com/fastify-not-implemented/fastify-not-implemented/blob/main/docs/problems.md#method-not-implemented',
    title: 'Method Not Implemented',
    status: 501,
    detail: 'Method BREW is not implemented by this server',
    code: 'FST_METHOD_NOT_IMPLEMENTED'
  })
})
