import { test, type Test } from 'tap'
import { createHook } from 'node:async_hooks'
import { createServer, METHODS, type RequestListener, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import notImplemented = require('../..')
import { notImplementedBody } from '../helpers/bodies'
import { listen, open, type RawResponse } from '../helpers/http'

// Issue 10, item 13: clientErrorHandler read the method from the one packet in which Node's
// parser stopped, so its answer depended on how TCP split the request line: `BRE` then
// `W / HTTP/1.1` got 400, `B` then `REW ...` got a 501 naming `REW`, and a pipelined GET
// followed by a split BREW lost the GET's 200. Its copy of Fastify's default handler had
// also drifted (see test/client-error.test.ts).
//
// What Node 20 does, checked here so that a Node upgrade that changes it fails loudly:
// - a parser that failed stays failed, and every later packet of that connection is
//   reported through 'clientError' again, with that packet as `rawPacket`;
// - the bytes of a method that Node's parser took as the start of a method it knows, in an
//   earlier packet than the byte it refused, are kept nowhere (not in the error, not on
//   `socket.parser`), so no answer can name that method: it keeps Fastify's 400 rather
//   than a wrong name.

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const rest = ' / HTTP/1.1\r\nHost: x\r\n\r\n'
const ok = 'GET /ok HTTP/1.1\r\nHost: x\r\n\r\n'
const slow = 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n'
const badRequest = '{"error":"Bad Request","message":"Client Error","statusCode":400}'

interface Report {
  code: string | undefined
  packet: string | undefined
}

interface App {
  app: FastifyInstance
  server: Server
  // What Node reported through 'clientError', in order.
  reports: Report[]
  // Timers started while the client error handler ran that are still alive.
  liveTimers: () => number
  startedTimers: () => number
}

async function build (t: Test, serverOptions: FastifyServerOptions = {}): Promise<App> {
  const app = Fastify({ ...serverOptions, clientErrorHandler: notImplemented.clientErrorHandler })
  await app.register(notImplemented, { logLevel: 'silent' })
  app.get('/ok', async () => ({ ok: true }))
  app.get('/slow', async () => {
    await pause(100)
    return { slow: true }
  })
  await listen(t, app)
  const reports: Report[] = []
  // Timers are watched only while the handler runs: the two listeners below run just
  // before and just after Fastify's own.
  let inHandler = false
  const live = new Set<number>()
  let started = 0
  const hook = createHook({
    init (id, type) {
      if (!inHandler || type !== 'Timeout') return
      started++
      live.add(id)
    },
    destroy (id) { live.delete(id) }
  }).enable()
  t.teardown(() => { hook.disable() })
  app.server.prependListener('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }) => {
    reports.push({ code: error.code, packet: error.rawPacket?.toString('latin1') })
    inHandler = true
  })
  app.server.on('clientError', () => { inHandler = false })
  return { app, server: app.server, reports, liveTimers: () => live.size, startedTimers: () => started }
}

interface Delivery {
  text: string
  responses: RawResponse[]
  // Whether the server closed the connection.
  closed: boolean
  // Milliseconds from the last write to the first byte of the answer.
  answeredAfter: number
}

interface DeliveryOptions {
  // After the last piece: keep the connection open and silent (default), half-close it, or reset it.
  then?: 'wait' | 'end' | 'destroy'
  // Give up after this many milliseconds and resolve with what arrived.
  timeout?: number
}

// Writes each piece in its own packet: Nagle off, and the next piece only once the server
// has read the one before, so that it reads them apart. Then collects what the server sends
// until it closes.
async function deliver (server: Server, pieces: string[], options: DeliveryOptions = {}): Promise<Delivery> {
  const deadline = Date.now() + (options.timeout ?? 3000)
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
  const conversation = await open((server.address() as AddressInfo).port)
  const { socket } = conversation
  socket.setNoDelay(true)
  const serverSide = await accepted
  let lastWrite = 0
  let answeredAfter = -1
  socket.on('data', () => {
    if (answeredAfter === -1) answeredAfter = Date.now() - lastWrite
  })
  let written = 0
  for (const piece of pieces) {
    conversation.send(piece)
    lastWrite = Date.now()
    written += Buffer.byteLength(piece, 'latin1')
    for (let tries = 0; serverSide.bytesRead < written && !serverSide.destroyed && tries < 200; tries++) await pause(5)
  }
  if (options.then === 'end') socket.end()
  if (options.then === 'destroy') socket.destroy()
  const closed = await conversation.ended(Math.max(0, deadline - Date.now()))
  socket.destroy()
  return { text: conversation.text(), responses: conversation.received(), closed, answeredAfter }
}

// The whole 501: status line, every header in order, and the body.
function assertNotImplemented (t: Test, response: RawResponse | undefined, text: string, method: string): void {
  const body = JSON.stringify(notImplementedBody(method))
  t.ok(text.includes('HTTP/1.1 501 Not Implemented\r\n'), 'status line')
  t.equal(response?.status, 501)
  t.same(response?.headerLines, [
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: max-age=60',
    'Connection: close'
  ])
  t.equal(response?.body, body)
}

// Fastify's default 400, whole.
function assertBadRequest (t: Test, response: RawResponse | undefined, text: string): void {
  t.ok(text.includes('HTTP/1.1 400 Bad Request\r\n'), 'status line')
  t.equal(response?.status, 400)
  t.same(response?.headerLines, [`Content-Length: ${badRequest.length}`, 'Content-Type: application/json'])
  t.equal(response?.body, badRequest)
}

test('a method whose first bytes (BRE) and the rest (W / HTTP/1.1) arrive in separate packets gets 501 naming BREW', async (t) => {
  const { server, reports } = await build(t)
  const delivery = await deliver(server, ['BRE', `W${rest}`])
  t.same(reports[0], { code: 'HPE_INVALID_METHOD', packet: 'BRE' }, 'Node refused the first packet alone')
  t.equal(delivery.responses.length, 1)
  assertNotImplemented(t, delivery.responses[0], delivery.text, 'BREW')
  t.ok(delivery.text.startsWith('HTTP/1.1 501 Not Implemented\r\n'), 'nothing before the 501')
  t.equal(delivery.closed, true, 'then the connection closes')
})

test('a method that keeps arriving in small packets after the one Node refused gets 501 naming it', async (t) => {
  const { server, reports } = await build(t)
  const bytes = await deliver(server, ['BR', 'E', 'W', ' ', '/ HTTP/1.1\r\nHost: x\r\n\r\n'])
  t.same(reports.map((report) => report.packet).slice(0, 4), ['BR', 'E', 'W', ' '], 'each byte came alone')
  t.equal(bytes.responses.length, 1)
  assertNotImplemented(t, bytes.responses[0], bytes.text, 'BREW')
  t.equal(bytes.closed, true)

  const space = await deliver(server, ['X-CUSTOM_1', rest])
  assertNotImplemented(t, space.responses[0], space.text, 'X-CUSTOM_1')
})

test('a pipelined GET in the packet where a split BREW starts gets its 200 first, then the 501, then the connection closes', async (t) => {
  const { server } = await build(t)
  const delivery = await deliver(server, [`${ok}BRE`, `W${rest}`])
  t.same(delivery.responses.map((response) => response.status), [200, 501])
  t.equal(delivery.responses[0].body, '{"ok":true}')
  assertNotImplemented(t, delivery.responses[1], delivery.text, 'BREW')
  t.equal(delivery.closed, true)

  // On a kept-alive connection, a packet that starts with the method.
  const kept = await deliver(server, [ok, 'BRE', `W${rest}`])
  t.same(kept.responses.map((response) => response.status), [200, 501])
  assertNotImplemented(t, kept.responses[1], kept.text, 'BREW')

  // With an answer still on its way when the method is complete.
  const late = await deliver(server, [`${slow}BR`, `EW${rest}`])
  t.same(late.responses.map((response) => response.status), [200, 501])
  t.equal(late.responses[0].body, '{"slow":true}')
  assertNotImplemented(t, late.responses[1], late.text, 'BREW')
  t.equal(late.closed, true)
})

test('a method whose first bytes came in an earlier packet than the byte Node refused keeps Fastify\'s 400, never a wrong name', async (t) => {
  const { server, reports } = await build(t)
  // Node's parser took `B` as the start of BIND and kept nothing of it.
  const split = await deliver(server, ['B', `REW${rest}`])
  t.same(reports[0], { code: 'HPE_INVALID_METHOD', packet: `REW${rest}` })
  t.equal(split.responses.length, 1)
  assertBadRequest(t, split.responses[0], split.text)
  t.notMatch(split.text, /REW/, 'no 501 naming REW')
  t.equal(split.closed, true)

  const byByte = await deliver(server, ['B', 'R', 'E', 'W', rest])
  assertBadRequest(t, byByte.responses[0], byByte.text)
  t.equal(byByte.responses.length, 1)

  // Earlier answers still go first.
  const pipelined = await deliver(server, [`${slow}B`, `REW${rest}`])
  t.same(pipelined.responses.map((response) => response.status), [200, 400])
  t.equal(pipelined.responses[0].body, '{"slow":true}')
  assertBadRequest(t, pipelined.responses[1], pipelined.text)

  // An RTSP method split before the protocol: Node refuses it at `HTTP/`, packets later.
  for (const pieces of [['SET', 'UP /a HTTP/1.1\r\nHost: x\r\n\r\n'], ['SETUP /a HT', 'TP/1.1\r\nHost: x\r\n\r\n']]) {
    const rtsp = await deliver(server, pieces)
    assertBadRequest(t, rtsp.responses[0], rtsp.text)
    t.notMatch(rtsp.text, /"Method /, pieces.join(' | '))
  }
})

test('an RTSP method whose request line Node refused in one packet still gets 501 when the headers follow later', async (t) => {
  const { server } = await build(t)
  const delivery = await deliver(server, ['SETUP /a HTTP/1.1\r', '\nHost: x\r\n\r\n'])
  assertNotImplemented(t, delivery.responses[0], delivery.text, 'SETUP')
})

test('garbage after a pipelined request keeps its 400, after the earlier answer', async (t) => {
  const { server } = await build(t)
  const delivery = await deliver(server, [`${slow}\x01\x02 /a HTTP/1.1\r\nHost: x\r\n\r\n`])
  t.same(delivery.responses.map((response) => response.status), [200, 400])
  t.equal(delivery.responses[0].body, '{"slow":true}')
  assertBadRequest(t, delivery.responses[1], delivery.text)
  t.equal(delivery.closed, true)
})

test('a client that leaves while the answer before the refused method is on its way gets nothing and crashes nothing', async (t) => {
  const { app, server } = await build(t)
  const delivery = await deliver(server, [`${slow}BREW${rest}`], { then: 'destroy', timeout: 500 })
  t.equal(delivery.text, '')
  await pause(150)
  const closing = Date.now()
  await app.close()
  t.ok(Date.now() - closing < 500, 'the server closes at once')
})

test('a token longer than a method may be, or a byte no token has, keeps its 400 as soon as it arrives', async (t) => {
  const { server, startedTimers, liveTimers } = await build(t)
  const long = await deliver(server, ['A'.repeat(20), 'A'.repeat(20)])
  assertBadRequest(t, long.responses[0], long.text)
  t.ok(long.answeredAfter < 500, `answered without waiting (${long.answeredAfter} ms)`)
  t.equal(long.closed, true)

  const longWithSpace = await deliver(server, ['A'.repeat(20), `${'A'.repeat(13)}${rest}`])
  assertBadRequest(t, longWithSpace.responses[0], longWithSpace.text)

  // 32 characters is the longest method answered with 501.
  const longest = await deliver(server, ['A'.repeat(20), `${'A'.repeat(12)}${rest}`])
  assertNotImplemented(t, longest.responses[0], longest.text, 'A'.repeat(32))

  const lineBreak = await deliver(server, ['BRE', 'W\r\nHost: x\r\n\r\n'])
  assertBadRequest(t, lineBreak.responses[0], lineBreak.text)
  t.ok(lineBreak.answeredAfter < 500, `answered without waiting (${lineBreak.answeredAfter} ms)`)
  t.ok(startedTimers() > 0, 'the handler waited for more bytes')
  t.equal(liveTimers(), 0, 'no timer left')
})

test('a client that sends BRE and stays silent gets 400 after a short wait, and the server closes cleanly', async (t) => {
  const { app, server, startedTimers, liveTimers } = await build(t)
  const delivery = deliver(server, ['BRE'])
  await pause(100)
  const closing = Date.now()
  await app.close()
  t.ok(Date.now() - closing < 2000, 'the wait does not hold the server open for long')
  const { responses, text, closed, answeredAfter } = await delivery
  assertBadRequest(t, responses[0], text)
  t.ok(answeredAfter >= 900 && answeredAfter < 2000, `answered after the wait (${answeredAfter} ms)`)
  t.equal(closed, true)
  t.equal(startedTimers(), 1)
  t.equal(liveTimers(), 0, 'no timer left')
})

test('a client that sends BRE and then closes gets no answer, crashes nothing and leaves no timer', async (t) => {
  for (const then of ['destroy', 'end'] as const) {
    const { app, server, startedTimers, liveTimers } = await build(t)
    const delivery = await deliver(server, ['BRE'], { then, timeout: 500 })
    t.equal(delivery.text, '', `${then}: no answer`)
    await pause(20)
    t.equal(startedTimers(), 1, `${then}: the handler waited`)
    t.equal(liveTimers(), 0, `${then}: and stopped waiting when the connection closed`)
    const closing = Date.now()
    await app.close()
    t.ok(Date.now() - closing < 500, `${then}: the server closes at once`)
  }
})

test('Node\'s request timeout while a method is still arriving gets Fastify\'s 408', async (t) => {
  const serverFactory = (handler: RequestListener) => createServer({ requestTimeout: 200, headersTimeout: 200, connectionsCheckingInterval: 20 }, handler)
  const { server, reports, liveTimers } = await build(t, { serverFactory })
  const delivery = await deliver(server, ['BRE'])
  t.same(reports.map((report) => report.code), ['HPE_INVALID_METHOD', 'ERR_HTTP_REQUEST_TIMEOUT'])
  t.equal(delivery.responses[0]?.status, 408)
  t.equal(delivery.responses[0]?.body, '{"error":"Request Timeout","message":"Client Timeout","statusCode":408}')
  t.ok(delivery.answeredAfter < 900, `before the wait was over (${delivery.answeredAfter} ms)`)
  t.equal(delivery.closed, true)
  t.equal(liveTimers(), 0, 'no timer left')
})

// The handler needs the names of Node's parser to tell whether the bytes before the one it
// refused can be a method's start; these read them from the parser itself.

interface NodeParser {
  initialize: (type: number, resource: object) => void
  execute: (data: Buffer) => number | (Error & { bytesParsed: number })
}

// Node's own parser class, as its HTTP server uses it (Node 20 exposes it on `_http_common`).
function nodeHttpCommon (): { HTTPParser: { new (): NodeParser, REQUEST: number } } {
  return require('_http_common')
}

// Every method name Node's parser knows, found by feeding it candidate bytes.
function parserMethods (): string[] {
  const { HTTPParser } = nodeHttpCommon()
  const accepted = (text: string): number => {
    const parser = new HTTPParser()
    parser.initialize(HTTPParser.REQUEST, {})
    const result = parser.execute(Buffer.from(text, 'latin1'))
    return result instanceof Error ? result.bytesParsed : text.length
  }
  const tchars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
  const names: string[] = []
  const prefixes = ['']
  for (let prefix = prefixes.shift(); prefix !== undefined; prefix = prefixes.shift()) {
    if (prefix !== '' && accepted(`${prefix} `) === prefix.length + 1) names.push(prefix)
    for (const char of tchars) {
      if (accepted(prefix + char) === prefix.length + 1) prefixes.push(prefix + char)
    }
  }
  return names.sort()
}

test('Node\'s parser knows the methods the handler was written for: Node\'s list, PRI and the RTSP methods', async (t) => {
  const rtsp = ['ANNOUNCE', 'DESCRIBE', 'FLUSH', 'GET_PARAMETER', 'PAUSE', 'PLAY', 'RECORD', 'REDIRECT', 'SETUP', 'SET_PARAMETER', 'TEARDOWN']
  const names = parserMethods()
  t.same(names, [...METHODS, 'PRI', ...rtsp].sort(), `checked against Node 20.20.2 (llhttp 9.3.1); this is Node ${process.version} (llhttp ${process.versions.llhttp})`)

  // Each of them read as the start of a method whose next byte Node refused.
  const { server } = await build(t)
  for (const name of names) {
    const delivery = await deliver(server, [`${name}Z${rest}`])
    t.equal(delivery.responses[0]?.body, JSON.stringify(notImplementedBody(`${name}Z`)), `${name}Z`)
  }
})

test('Node reports every later packet of a connection whose parser failed through clientError again, with that packet as rawPacket', async (t) => {
  const reports: Array<{ code: string | undefined, packet: string | undefined, bytesParsed: number | undefined }> = []
  const server = createServer((_request, response) => { response.end() })
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer, bytesParsed?: number }, socket) => {
    reports.push({ code: error.code, packet: error.rawPacket?.toString('latin1'), bytesParsed: error.bytesParsed })
    if (reports.length === 3) socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  await deliver(server, ['BRE', 'W / HTTP/1.1\r\n', 'Host: x\r\n\r\n'], { timeout: 500 })
  t.same(reports.map((report) => report.code), ['HPE_INVALID_METHOD', 'HPE_INVALID_METHOD', 'HPE_INVALID_METHOD'])
  t.same(reports.map((report) => report.packet), ['BRE', 'W / HTTP/1.1\r\n', 'Host: x\r\n\r\n'])
  t.equal(reports[0].bytesParsed, 1, 'the first report says where the parser stopped')

  // And the bytes of a method it took for one it knows are gone from the next report.
  reports.length = 0
  await deliver(server, ['B', 'REW / HTTP/1.1\r\n', '\r\n'], { timeout: 500 })
  t.same(reports[0], { code: 'HPE_INVALID_METHOD', packet: 'REW / HTTP/1.1\r\n', bytesParsed: 0 })
})
