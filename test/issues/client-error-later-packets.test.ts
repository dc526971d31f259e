import { test } from 'tap'
import { connect } from 'node:net'
import Fastify from 'fastify'
import notImplemented = require('../..')
import { listen, parseResponses } from '../helpers/http'

// Once the clientErrorHandler has decided a connection's answer, Node's failed parser
// reports every later packet of it again; those change nothing. Covered here without
// relying on timing: the 501 waits for a slow pipelined response, so the later packet
// surely arrives while the connection is still open.
test('packets after a refused method, while an earlier response is pending, change nothing', async (t) => {
  const app = Fastify({ clientErrorHandler: notImplemented.clientErrorHandler })
  await app.register(notImplemented)
  let release: () => void = () => {}
  const released = new Promise<void>((resolve) => { release = resolve })
  app.get('/slow', async () => {
    await released
    return 'slow'
  })
  const { port } = await listen(t, app)
  const text = await new Promise<string>((resolve) => {
    let received = ''
    const socket = connect(port, '127.0.0.1')
    socket.setNoDelay(true)
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => { received += chunk })
    socket.on('error', () => {})
    socket.on('close', () => resolve(received))
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nBREW /pot HTTP/1.1\r\nHost: x\r\n\r\n', () => {
      setTimeout(() => {
        socket.write('GET /more HTTP/1.1\r\nHost: x\r\n\r\n', () => {
          setTimeout(() => socket.write('MORE garbage\r\n\r\n', () => setTimeout(release, 50)), 50)
        })
      }, 50)
    })
  })
  const responses = parseResponses(text)
  t.same(responses.map((r) => r.status), [200, 501], 'the pipelined 200, then the 501, and nothing for the later packets')
  t.equal(responses[0].body, 'slow')
  t.equal(JSON.parse(responses[1].body).message, 'Method BREW is not implemented by this server')
})
