import { test, type Test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('../..')
import { listen, open, writeBody } from '../helpers/http'

// Requests the plugin turns away, carrying large, slow or lying bodies. The answer goes out
// before the body is read; what follows is Node's and Fastify's connection handling: a
// small body is read and dropped and the connection stays usable, a large or chunked one
// gets `Connection: close` and is never read. Memory must not grow with the body.

const megabyte = 1024 * 1024

// Listening until the test ends; resolves with the port.
async function build (t: Test): Promise<number> {
  // forceCloseConnections: a connection a test leaves open must not hold up close().
  const app = Fastify({ clientErrorHandler: notImplemented.clientErrorHandler, forceCloseConnections: true })
  await app.register(notImplemented, { tiers: ['free', 'plus'], resolveTier: () => undefined, logLevel: 'silent' })
  app.get('/a', async () => 'a')
  app.post('/c', async () => 'c')
  app.post('/gated', { config: { tier: 'plus' } }, async () => 'never')
  return (await listen(t, app)).port
}

// Rejections whose answer comes before the body: 405 (POST where only GET is), 501 (a
// method no route has), 501 (a caller below the route's plan).
const rejections = [
  { line: 'POST /a', status: 405, code: 'FST_METHOD_NOT_ALLOWED' },
  { line: 'PROPFIND /a', status: 501, code: 'FST_METHOD_NOT_IMPLEMENTED' },
  { line: 'POST /gated', status: 501, code: 'FST_TIER_REQUIRED' }
]

function rssMegabytes (): number {
  return process.memoryUsage().rss / megabyte
}

// Samples RSS until stopped, to catch a peak between two measurements.
function sampleRss (): () => { start: number, peak: number, end: number } {
  const start = rssMegabytes()
  let peak = start
  const timer = setInterval(() => { peak = Math.max(peak, rssMegabytes()) }, 10)
  return () => {
    clearInterval(timer)
    const end = rssMegabytes()
    return { start, peak: Math.max(peak, end), end }
  }
}

test('a 50 MB body to a rejected request: prompt answer, Connection: close, never read, memory flat', async (t) => {
  const port = await build(t)
  const figures: string[] = []
  for (const { line, status, code } of rejections) {
    for (const framing of ['content-length', 'chunked'] as const) {
      const stop = sampleRss()
      const conversation = await open(port)
      const head = framing === 'content-length'
        ? `${line} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: ${50 * megabyte}\r\n\r\n`
        : `${line} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n`
      conversation.send(head)
      let written = 0
      if (framing === 'content-length') {
        written = await writeBody(conversation.socket, 50 * megabyte)
      } else {
        // 50 chunks of 1 MB.
        for (let i = 0; i < 50 && !conversation.socket.destroyed; i++) {
          conversation.socket.write(`${megabyte.toString(16)}\r\n`)
          written += await writeBody(conversation.socket, megabyte)
          conversation.socket.write('\r\n')
        }
      }
      const [response] = await conversation.responses(1)
      t.ok(await conversation.ended(), 'the server closed the connection')
      const rss = stop()
      const label = `${line} with 50 MB (${framing})`
      t.equal(response?.status, status, label)
      t.equal(JSON.parse(response?.body ?? '{}').code, code)
      t.same(response?.headers.connection, ['close'], 'the answer says the connection closes')
      t.ok(response?.headers['cache-control'] !== undefined, 'with its Cache-Control')
      const firstByte = conversation.firstByteMs() as number
      t.ok(firstByte < 2000, `answered in ${firstByte} ms, before the body`)
      t.ok(written < 50 * megabyte, `the server stopped taking the body after ${(written / megabyte).toFixed(1)} MB`)
      t.ok(rss.peak - rss.start < 40, `RSS ${rss.start.toFixed(0)} MB -> peak ${rss.peak.toFixed(0)} MB`)
      figures.push(`${label}: ${response?.status} in ${firstByte} ms, closed at ${conversation.closedAfterMs()} ms after ${(written / megabyte).toFixed(1)} MB written, RSS ${rss.start.toFixed(0)} -> peak ${rss.peak.toFixed(0)} MB`)
    }
  }
  t.comment(figures.join('\n'))
})

test('a small body is read and dropped: the connection stays usable', async (t) => {
  const port = await build(t)
  for (const { line, status } of rejections) {
    const conversation = await open(port)
    conversation.send(`${line} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n${'b'.repeat(1000)}`)
    conversation.send('GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n')
    const responses = await conversation.responses(2)
    t.same(responses.map((r) => r.status), [status, 200], `${line} with 1000 bytes, then GET /a on the same connection`)
    t.same(responses[0]?.headers.connection, ['keep-alive'])
    t.equal(conversation.closedAfterMs(), undefined, 'still open')
    conversation.socket.destroy()
  }
})

test('a body trickled over 3 s: answered at once, then handled by its size', async (t) => {
  // Three seconds rather than ten: the answer goes out before the first body byte is
  // needed, and what a longer trickle changes is only how long the connection lingers,
  // which is the same code path for any duration.
  const port = await build(t)
  const trickle = async (declared: number) => {
    const conversation = await open(port)
    conversation.send(`POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: ${declared}\r\n\r\n`)
    // 30 pieces of 100 bytes, one every 100 ms, unless the server closes first.
    const started = Date.now()
    let bytes = 0
    for (let piece = 0; piece < 30 && !conversation.socket.destroyed && !conversation.writeFailed(); piece++) {
      conversation.socket.write('t'.repeat(100))
      bytes += 100
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return { conversation, bytes, elapsed: Date.now() - started }
  }
  // 3,000 bytes declared: small enough for Node to read and drop; 1 MB: past that, closed.
  const [small, large] = await Promise.all([trickle(3000), trickle(megabyte)])

  const [smallAnswer] = await small.conversation.responses(1)
  t.equal(smallAnswer?.status, 405)
  t.ok((small.conversation.firstByteMs() as number) < 1000, `small trickle answered in ${small.conversation.firstByteMs()} ms`)
  t.same(smallAnswer?.headers.connection, ['keep-alive'])
  t.equal(small.bytes, 3000, 'the whole small body went out over the trickle')
  small.conversation.send('GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n')
  const smallAfter = await small.conversation.responses(2)
  t.equal(smallAfter[1]?.status, 200, 'once the declared body is through, the connection serves the next request')
  small.conversation.socket.destroy()

  const [largeAnswer] = await large.conversation.responses(1)
  t.ok(await large.conversation.ended(), 'the server closed the connection')
  t.equal(largeAnswer?.status, 405)
  t.ok((large.conversation.firstByteMs() as number) < 1000, `large trickle answered in ${large.conversation.firstByteMs()} ms`)
  t.same(largeAnswer?.headers.connection, ['close'])
  t.ok((large.conversation.closedAfterMs() as number) < 1000, `and closed at ${large.conversation.closedAfterMs()} ms, not after the trickle`)
  t.comment(`trickle: 3,000 B over ${small.elapsed} ms answered in ${small.conversation.firstByteMs()} ms, connection reused; 1 MB declared answered in ${large.conversation.firstByteMs()} ms and closed at ${large.conversation.closedAfterMs()} ms after ${large.bytes} B`)
})

test('a Content-Length that promises more than is sent', async (t) => {
  const port = await build(t)
  const conversation = await open(port)
  conversation.send('POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n0123456789')
  const [answer] = await conversation.responses(1)
  t.equal(answer?.status, 405, 'answered without waiting for the body')
  t.ok((conversation.firstByteMs() as number) < 1000, `in ${conversation.firstByteMs()} ms`)
  t.same(answer?.headers.connection, ['keep-alive'])
  // Framing says 990 bytes are still to come: the server keeps reading them as this
  // request's body, so a request written now is swallowed, as HTTP/1.1 requires.
  const next = 'GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n'
  conversation.send(next)
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal((await conversation.responses(1)).length, 1, 'a request inside the promised body is body, not a request')
  conversation.send('x'.repeat(990 - next.length))
  conversation.send(next)
  const responses = await conversation.responses(2)
  t.equal(responses[1]?.status, 200, 'once the promise is kept, the next request is served')
  conversation.socket.destroy()

  // Promising 50 MB: the answer says close, and the server does not wait for the rest.
  const big = await open(port)
  big.send(`POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: ${50 * megabyte}\r\n\r\n0123456789`)
  const [bigAnswer] = await big.responses(1)
  t.ok(await big.ended(), 'the server closed the connection')
  t.equal(bigAnswer?.status, 405)
  t.same(bigAnswer?.headers.connection, ['close'])
  t.ok((big.closedAfterMs() as number) < 1000, `closed at ${big.closedAfterMs()} ms without the promised body`)
})

test('a Content-Length that promises less than is sent', async (t) => {
  const port = await build(t)
  const conversation = await open(port)
  // 5 bytes of body, then bytes that are no request at all.
  conversation.send('POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello, and this is not a request\r\n\r\n')
  const responses = await conversation.responses(2)
  t.ok(await conversation.ended(), 'the server closed the connection')
  t.same(responses.map((r) => r.status), [405, 400], 'the request is answered, the leftover bytes get the parser\'s 400')

  // Leftover bytes that do form a request are a pipelined request, answered in order.
  const pipelined = await open(port)
  pipelined.send('POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhelloGET /a HTTP/1.1\r\nHost: localhost\r\n\r\n')
  const both = await pipelined.responses(2)
  t.same(both.map((r) => r.status), [405, 200])
  pipelined.socket.destroy()
})
