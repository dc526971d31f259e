import { connect, type Socket } from 'node:net'

// A raw HTTP/1.1 conversation: bytes written as given (in chunks, with pauses if asked),
// every response read back, and what the server did with the connection.

export interface ParsedResponse {
  status: number
  headers: Record<string, string>
  body: string
}

// Every complete response in `text` (bodies framed by Content-Length).
export function parseAll (text: string, headRequests = 0): ParsedResponse[] {
  const responses: ParsedResponse[] = []
  let rest = text
  for (;;) {
    const end = rest.indexOf('\r\n\r\n')
    if (end === -1) return responses
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    const status = Number(statusLine.split(' ')[1])
    const length = responses.length < headRequests || status === 204 ? 0 : Number(headers['content-length'] ?? 0)
    if (rest.length < end + 4 + length) return responses
    responses.push({ status, headers, body: rest.slice(end + 4, end + 4 + length) })
    rest = rest.slice(end + 4 + length)
  }
}

export interface Conversation {
  socket: Socket
  // Writes bytes; the first call starts the clock.
  send: (data: string | Buffer) => boolean
  // Resolves once `count` complete responses have arrived, or the connection ended first,
  // or `timeoutMs` passed (then with what arrived).
  responses: (count: number, timeoutMs?: number) => Promise<ParsedResponse[]>
  // Milliseconds from the first write to the first byte of the first response.
  firstByteMs: () => number | undefined
  // Whether, and how many ms after the first write, the server ended the connection.
  closedAfterMs: () => number | undefined
  // Resolves true once the server has ended the connection, false after `timeoutMs`.
  ended: (timeoutMs?: number) => Promise<boolean>
  // Whether a write failed because the server had closed its side (EPIPE, ECONNRESET).
  writeFailed: () => boolean
}

export async function open (port: number): Promise<Conversation> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  let text = ''
  let started: number | undefined
  let firstByte: number | undefined
  let closed: number | undefined
  let failed = false
  const waiters: Array<() => void> = []
  const wake = (): void => { for (const waiter of waiters.splice(0)) waiter() }
  socket.on('data', (chunk: Buffer) => {
    if (firstByte === undefined && started !== undefined) firstByte = Date.now() - started
    text += chunk.toString('latin1')
    wake()
  })
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
  return {
    socket,
    send (data) {
      if (started === undefined) started = Date.now()
      return socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data)
    },
    async ended (timeoutMs = 10000) {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<boolean>((resolve) => { timer = setTimeout(resolve, timeoutMs, false) })
      const result = await Promise.race([ended.then(() => true), late])
      clearTimeout(timer)
      return result
    },
    firstByteMs: () => firstByte,
    closedAfterMs: () => closed,
    writeFailed: () => failed,
    async responses (count, timeoutMs = 10000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const parsed = parseAll(text)
        if (parsed.length >= count || closed !== undefined || Date.now() >= deadline) return parsed
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, deadline - Date.now())
          waiters.push(() => { clearTimeout(timer); resolve() })
        })
      }
    }
  }
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
