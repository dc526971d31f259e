import { test, type Test } from 'tap'
import Fastify from 'fastify'
import notImplemented = require('../..')
import { notImplementedBody } from '../helpers/bodies'
import { listen, open } from '../helpers/http'

// Found by the socket fuzzer: Node's parser knows the RTSP methods (DESCRIBE, SETUP, PLAY,
// ...) and refuses them on an HTTP/1.x request line with a different error
// (HPE_INVALID_CONSTANT, "Invalid method for HTTP/x.x request") than an unknown method
// (HPE_INVALID_METHOD), so clientErrorHandler answered these valid method tokens with a
// 400 instead of the contract's 501. Other errors of that kind follow a method Node knows
// (a bad protocol name, "GET /a HTXP/1.1") and must keep their 400.

const rtsp = ['DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT', 'RECORD', 'FLUSH']

// Listening until the test ends; resolves with the port.
async function build (t: Test): Promise<number> {
  const app = Fastify({ clientErrorHandler: notImplemented.clientErrorHandler })
  await app.register(notImplemented, { logLevel: 'silent' })
  app.get('/a', async () => 'a')
  return (await listen(t, app)).port
}

test('RTSP method names on an HTTP/1.1 request line get 501 and Connection: close', async (t) => {
  const port = await build(t)
  for (const method of rtsp) {
    for (const target of ['/a', '*', 'http://localhost/a']) {
      const conversation = await open(port)
      conversation.send(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
      const [response] = await conversation.responses(1)
      t.ok(await conversation.ended(), 'the server closed the connection')
      t.equal(response?.status, 501, `${method} ${target}`)
      t.same(response?.headers.connection, ['close'])
      t.same(response?.headers['cache-control'], ['max-age=60'])
      t.same(JSON.parse(response?.body ?? '{}'), notImplementedBody(method))
    }
  }
})

test('after a pipelined request that was answered', async (t) => {
  const port = await build(t)
  const conversation = await open(port)
  conversation.send('GET /a HTTP/1.1\r\nHost: localhost\r\n\r\nSETUP /a HTTP/1.1\r\nHost: localhost\r\n\r\n')
  const responses = await conversation.responses(2)
  t.same(responses.map((r) => r.status), [200, 501])
  t.match(responses[1]?.body ?? '', /Method SETUP is not implemented/)
})

test('the same parser error after a method Node knows keeps its 400', async (t) => {
  const port = await build(t)
  // A bad protocol name, ICE with a method other than SOURCE, and PRI (the HTTP/2 preface).
  for (const line of ['GET /a HTXP/1.1', 'GET /a ICE/1.0', 'POST /a RTSPX/1.0', 'PRI /a HTTP/1.1']) {
    const conversation = await open(port)
    conversation.send(`${line}\r\nHost: localhost\r\n\r\n`)
    const [response] = await conversation.responses(1)
    t.equal(response?.status, 400, line)
    t.notMatch(response?.body ?? '', /FST_METHOD_NOT_IMPLEMENTED/)
  }
})
