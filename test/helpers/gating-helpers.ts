import { connect } from 'node:net'
import type { FastifyRequest } from 'fastify'

// Shared by the gating tests: plan names, a per-request tier read from a header, log capture,
// sockets.

export const tiers = ['free', 'plus', 'enterprise'] as const

interface Teardown {
  teardown: (fn: () => unknown) => void
}

// The caller's plan, as an upstream auth layer would have put it on the request.
export function tierFromHeader (request: FastifyRequest): string | undefined {
  const value = request.headers['x-tier']
  return typeof value === 'string' ? value : undefined
}

// Counts calls of a function and passes them through.
export function counted<A extends unknown[], R> (fn: (...args: A) => R): ((...args: A) => R) & { calls: number } {
  const wrapper = Object.assign((...args: A): R => {
    wrapper.calls++
    return fn(...args)
  }, { calls: 0 })
  return wrapper
}

export interface LogLine {
  level: number
  msg: string
  [key: string]: unknown
}

export const WARN = 40

// A pino destination that keeps every line: `Fastify({ logger: { level: 'info', stream } })`.
export function logCapture (): { stream: { write: (line: string) => void }, lines: LogLine[], at: (level: number) => LogLine[], atLeast: (level: number) => LogLine[] } {
  const lines: LogLine[] = []
  return {
    stream: { write (line: string) { lines.push(JSON.parse(line) as LogLine) } },
    lines,
    at: (level) => lines.filter((line) => line.level === level),
    atLeast: (level) => lines.filter((line) => line.level >= level)
  }
}

// The resolver timeout timer never keeps the process alive; a test that only injects
// requests against a resolver that never answers holds the event loop open itself.
export function holdEventLoop (t: Teardown): void {
  const timer = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(timer))
}

// One listen helper for every test file.
export { listen } from './http'

// Writes raw bytes and resolves with everything the server sends until the head and
// `bodyBytes` of body have arrived (or the socket closes), with the milliseconds it took.
export function rawExchange (port: number, request: string, bodyBytes: number): Promise<{ text: string, ms: number, closed: boolean }> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const socket = connect(port, '127.0.0.1')
    let text = ''
    let done = false
    function finish (closed: boolean): void {
      if (done) return
      done = true
      socket.destroy()
      resolve({ text, ms: Date.now() - started, closed })
    }
    socket.setEncoding('latin1')
    socket.on('error', reject)
    socket.on('data', (chunk: string) => {
      text += chunk
      const end = text.indexOf('\r\n\r\n')
      if (end !== -1 && text.length - end - 4 >= bodyBytes) finish(false)
    })
    socket.on('close', () => finish(true))
    socket.write(request)
  })
}
