import { connect as connectHttp2, type IncomingHttpHeaders, type IncomingHttpStatusHeader, type OutgoingHttpHeaders } from 'node:http2'
import { connect, type AddressInfo, type Socket } from 'node:net'

// Talking to an app over a real socket: listening, raw HTTP/1.1 for what a client library
// would hide (repeated header lines, request forms and methods a library will not send,
// split and pipelined requests, large or lying bodies, connection handling), and HTTP/2.

export interface Teardown {
  teardown: (fn: () => unknown) => void
}

export interface Address {
  origin: string
  port: number
}

// A Fastify app, over HTTP/1.1 or HTTP/2, as far as listening goes.
export interface Listener {
  listen: (options: { host: string, port: number }) => Promise<string>
  close: () => PromiseLike<unknown>
  server: { address: () => AddressInfo | string | null }
}

function portOf (app: Listener): number {
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP')
  return address.port
}

// Listens on a free loopback port; the caller closes the app.
export async function listening (app: Listener): Promise<Address> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = portOf(app)
  return { origin: `http://127.0.0.1:${port}`, port }
}

// Listens on a free loopback port and closes the app when the test ends.
export async function listen (t: Teardown, app: Listener): Promise<Address> {
  t.teardown(() => app.close())
  return await listening(app)
}

export interface RawResponse {
  status: number
  // The header lines as sent, `Name: value`.
  headerLines: string[]
  // Every value of each header, by lower-case name.
  headers: Record<string, string[]>
  // One character a byte (latin1).
  body: string
}

// Every complete response in `text` (latin1, one character a byte). A body is framed by
// Content-Length; there is none in a 204 or a 304, nor in the answer to a HEAD: `methods`
// are those of the requests in the order they were sent, where any was a HEAD.
export function parseResponses (text: string, methods: readonly string[] = []): RawResponse[] {
  const responses: RawResponse[] = []
  let rest = text
  for (;;) {
    const end = rest.indexOf('\r\n\r\n')
    if (end === -1) return responses
    const [statusLine, ...headerLines] = rest.slice(0, end).split('\r\n')
    const headers: Record<string, string[]> = {}
    for (const line of headerLines) {
      const colon = line.indexOf(':')
      const name = line.slice(0, colon).toLowerCase()
      const values = headers[name] ?? (headers[name] = [])
      values.push(line.slice(colon + 1).trim())
    }
    const status = Number(statusLine.split(' ')[1])
    const bodiless = status === 204 || status === 304 || methods[responses.length] === 'HEAD'
    const length = bodiless ? 0 : Number(headers['content-length']?.[0] ?? 0)
    if (rest.length < end + 4 + length) return responses
    responses.push({ status, headerLines, headers, body: rest.slice(end + 4, end + 4 + length) })
    rest = rest.slice(end + 4 + length)
  }
}

// A raw HTTP/1.1 conversation on one connection: bytes written as given, when the test
// says, every response read back, and what the server did with the connection.
export interface Conversation {
  socket: Socket
  // Writes bytes (a string as latin1); the first write starts the clock. Nothing is
  // written once the connection is gone.
  send: (data: string | Buffer) => boolean
  // Everything received so far (latin1).
  text: () => string
  // The complete responses received so far.
  received: () => RawResponse[]
  // Resolves once `count` complete responses have arrived, or the connection ended first,
  // or `timeoutMs` passed (then with what arrived).
  responses: (count: number, timeoutMs?: number) => Promise<RawResponse[]>
  // Milliseconds from the first write to the first byte, and to the first complete response.
  firstByteMs: () => number | undefined
  firstResponseMs: () => number | undefined
  // Whether, and how many ms after the first write, the connection ended.
  closedAfterMs: () => number | undefined
  // Resolves true once the connection has ended, false after `timeoutMs`.
  ended: (timeoutMs?: number) => Promise<boolean>
  // Whether a write failed because the server had closed its side (EPIPE, ECONNRESET).
  writeFailed: () => boolean
}

// `methods`: those of the requests the conversation will send, in order, where any is a
// HEAD (its answer has no body).
export async function open (port: number, methods: readonly string[] = []): Promise<Conversation> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  let text = ''
  let started: number | undefined
  let firstByte: number | undefined
  let firstResponse: number | undefined
  let closed: number | undefined
  let failed = false
  const waiters: Array<() => void> = []
  const wake = (): void => { for (const waiter of waiters.splice(0)) waiter() }
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1')
    if (started !== undefined) {
      if (firstByte === undefined) firstByte = Date.now() - started
      if (firstResponse === undefined && parseResponses(text, methods).length > 0) firstResponse = Date.now() - started
    }
    wake()
  })
  // A server that closes while the client is still writing may reset the connection.
  socket.on('error', () => { failed = true })
  const ended = new Promise<void>((resolve) => {
    const done = (): void => {
      if (closed === undefined) closed = started === undefined ? 0 : Date.now() - started
      wake()
      resolve()
    }
    socket.once('end', done)
    socket.once('close', done)
  })
  const received = (): RawResponse[] => parseResponses(text, methods)
  return {
    socket,
    send (data) {
      if (socket.destroyed) return false
      if (started === undefined) started = Date.now()
      return socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data)
    },
    text: () => text,
    received,
    async ended (timeoutMs = 10000) {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<boolean>((resolve) => { timer = setTimeout(resolve, timeoutMs, false) })
      const result = await Promise.race([ended.then(() => true), late])
      clearTimeout(timer)
      return result
    },
    firstByteMs: () => firstByte,
    firstResponseMs: () => firstResponse,
    closedAfterMs: () => closed,
    writeFailed: () => failed,
    async responses (count, timeoutMs = 10000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const parsed = received()
        if (parsed.length >= count || closed !== undefined || Date.now() >= deadline) return parsed
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, deadline - Date.now())
          waiters.push(() => { clearTimeout(timer); resolve() })
        })
      }
    }
  }
}

export interface RawExchange {
  responses: RawResponse[]
  // Whether the connection ended.
  closed: boolean
  // Whether the time ran out first.
  timedOut: boolean
  // Milliseconds from the first write to the first complete response (-1: none).
  firstResponseMs: number
  text: string
}

export interface RawOptions {
  // Resolve once this many responses have arrived (default 1), or when the connection ends.
  responses?: number
  // Wait for the connection to end instead.
  untilClosed?: boolean
  // Give up after this many milliseconds and resolve with what arrived (default 3000).
  timeout?: number
  // Milliseconds between the writes of successive chunks (default 0: all at once).
  gap?: number
  // The methods of the requests, in order, where any is a HEAD.
  methods?: readonly string[]
}

// One raw exchange on its own connection: writes each of `chunks` in its own write, collects
// the responses, then drops the connection.
export async function rawExchange (port: number, chunks: string | Buffer | Array<string | Buffer>, options: RawOptions = {}): Promise<RawExchange> {
  const conversation = await open(port, options.methods)
  const gap = options.gap ?? 0
  const pieces = ([] as Array<string | Buffer>).concat(chunks)
  for (const [index, piece] of pieces.entries()) {
    if (gap === 0) conversation.send(piece)
    else setTimeout(() => conversation.send(piece), index * gap)
  }
  const timeout = options.timeout ?? 3000
  const wanted = options.untilClosed === true ? Infinity : options.responses ?? 1
  const responses = wanted === Infinity
    ? await conversation.ended(timeout).then(conversation.received)
    : await conversation.responses(wanted, timeout)
  const closed = conversation.closedAfterMs() !== undefined
  conversation.socket.destroy()
  return {
    responses,
    closed,
    timedOut: !closed && responses.length < wanted,
    firstResponseMs: conversation.firstResponseMs() ?? -1,
    text: conversation.text()
  }
}

// A request head in the form a raw exchange sends.
export function head (method: string, target: string, headers: Record<string, string | number> = {}): string {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: localhost']
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'host') lines[1] = `Host: ${value}`
    else lines.push(`${name}: ${value}`)
  }
  return lines.join('\r\n') + '\r\n\r\n'
}

// Writes `total` bytes of body in `chunkSize` pieces, honouring back-pressure; stops early
// when the connection goes away. Returns how many bytes were written.
export async function writeBody (socket: Socket, total: number, chunkSize = 64 * 1024): Promise<number> {
  const chunk = Buffer.alloc(chunkSize, 0x61)
  let written = 0
  while (written < total) {
    if (socket.destroyed || socket.writableEnded) return written
    const size = Math.min(chunkSize, total - written)
    const more = socket.write(size === chunkSize ? chunk : chunk.subarray(0, size))
    written += size
    if (!more) {
      const drained = await new Promise<boolean>((resolve) => {
        const onDrain = (): void => { cleanup(); resolve(true) }
        const onGone = (): void => { cleanup(); resolve(false) }
        const cleanup = (): void => {
          socket.off('drain', onDrain)
          socket.off('close', onGone)
          socket.off('error', onGone)
        }
        socket.on('drain', onDrain)
        socket.on('close', onGone)
        socket.on('error', onGone)
      })
      if (!drained) return written
    }
  }
  return written
}

export interface Http2Answer {
  status: number
  headers: IncomingHttpHeaders & IncomingHttpStatusHeader
  body: string
}

// One HTTP/2 request (cleartext, prior knowledge) on a session of its own, closed once the
// answer is in. `partialBody`: bytes of a body written without ending the request, as a
// client still uploading would.
export async function http2Request (origin: string, headers: OutgoingHttpHeaders, partialBody?: Buffer): Promise<Http2Answer> {
  return await new Promise((resolve, reject) => {
    const session = connectHttp2(origin)
    session.on('error', reject)
    const stream = session.request(headers)
    let received: IncomingHttpHeaders & IncomingHttpStatusHeader = {}
    let body = ''
    stream.setEncoding('utf8')
    stream.on('response', (answer) => { received = answer })
    stream.on('data', (chunk: string) => { body += chunk })
    stream.on('end', () => {
      session.close()
      resolve({ status: Number(received[':status']), headers: received, body })
    })
    stream.on('error', reject)
    if (partialBody === undefined) stream.end()
    else stream.write(partialBody)
  })
}
