import { connect } from 'node:net'
import type { FastifyInstance } from 'fastify'

// Shared by the method-semantics tests: listening on a real socket, and raw HTTP/1.1
// exchanges for what a client library would hide (repeated header lines, request forms
// and methods a library will not send, pipelining, connection handling).

interface Teardown {
  teardown: (fn: () => unknown) => void
}

export async function listen (t: Teardown, app: FastifyInstance): Promise<{ origin: string, port: number }> {
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP')
  return { origin: `http://127.0.0.1:${address.port}`, port: address.port }
}

export interface RawResponse {
  status: number
  // The header lines as sent, `Name: value`.
  headerLines: string[]
  // Every value of each header, by lower-case name.
  headers: Record<string, string[]>
  body: string
}

// Reads every complete response in `text` (bodies framed by Content-Length; none for 204).
export function parseResponses (text: string): RawResponse[] {
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
    const length = Number(headers['content-length']?.[0] ?? 0)
    if (rest.length < end + 4 + length) return responses
    responses.push({
      status: Number(statusLine.split(' ')[1]),
      headerLines,
      headers,
      body: rest.slice(end + 4, end + 4 + length)
    })
    rest = rest.slice(end + 4 + length)
  }
}

export interface RawExchange {
  responses: RawResponse[]
  // Whether the server closed the connection.
  closed: boolean
  // Milliseconds until the first complete response.
  firstResponseMs: number
  text: string
}

export interface RawOptions {
  // Resolve once this many responses have arrived (default 1), or when the server closes.
  responses?: number
  // Also wait for the server to close the connection.
  untilClosed?: boolean
  // Give up after this many milliseconds and resolve with what arrived (default 3000).
  timeout?: number
  // Milliseconds between the writes of successive chunks (default 0: all at once).
  gap?: number
}

// Writes raw bytes (each string of `chunks` in its own write) and collects the responses.
export function rawExchange (port: number, chunks: string | string[], options: RawOptions = {}): Promise<RawExchange> {
  const wanted = options.responses ?? 1
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = connect(port, '127.0.0.1')
    let text = ''
    let responses: RawResponse[] = []
    let firstResponseMs = -1
    let closed = false
    let settled = false
    const timer = setTimeout(finish, options.timeout ?? 3000)
    function finish (): void {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ responses, closed, firstResponseMs, text })
    }
    socket.setEncoding('latin1')
    // A server that closes while the client is still writing may reset the connection.
    socket.on('error', () => {})
    socket.on('data', (chunk: string) => {
      text += chunk
      responses = parseResponses(text)
      if (responses.length > 0 && firstResponseMs === -1) firstResponseMs = Date.now() - started
      if (responses.length >= wanted && options.untilClosed !== true) finish()
    })
    socket.on('end', () => {
      closed = true
      finish()
    })
    socket.on('close', () => {
      closed = true
      finish()
    })
    const all = ([] as string[]).concat(chunks)
    const gap = options.gap ?? 0
    if (gap === 0) {
      for (const chunk of all) socket.write(chunk, 'latin1')
      return
    }
    all.forEach((chunk, index) => setTimeout(() => socket.write(chunk, 'latin1'), index * gap))
  })
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

// The body of Fastify's default 404 for a request.
export function fastifyNotFound (method: string, url: string): Record<string, unknown> {
  return { message: `Route ${method}:${url} not found`, error: 'Not Found', statusCode: 404 }
}

export function notImplementedBody (method: string): Record<string, unknown> {
  return {
    statusCode: 501,
    code: 'FST_METHOD_NOT_IMPLEMENTED',
    error: 'Not Implemented',
    message: `Method ${method} is not implemented by this server`
  }
}

export function notAllowedBody (method: string, path: string, allow: string[]): Record<string, unknown> {
  return {
    statusCode: 405,
    code: 'FST_METHOD_NOT_ALLOWED',
    error: 'Method Not Allowed',
    message: `Method ${method} is not allowed on ${path}`,
    allow
  }
}
