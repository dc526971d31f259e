import type { FastifyRequest } from 'fastify'
import type { Teardown } from './http'

// Shared by the gating tests: plan names, the caller's plan and flags read from headers,
// call counters, log capture.

export const tiers = ['free', 'plus', 'enterprise'] as const

// The caller's plan, as an upstream auth layer would have put it on the request.
export function tierFromHeader (request: FastifyRequest): string | undefined {
  const value = request.headers['x-tier']
  return typeof value === 'string' ? value : undefined
}

// The flag is on for callers that send it in `x-flags` (`x-flags: bulk-export,beta`).
export function flagFromHeader (feature: string, request: FastifyRequest): boolean {
  const value = request.headers['x-flags']
  return typeof value === 'string' && value.split(',').includes(feature)
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

export interface LogCapture {
  stream: { write: (line: string) => void }
  lines: LogLine[]
  at: (level: number) => LogLine[]
  atLeast: (level: number) => LogLine[]
}

// A pino destination that keeps every line: `Fastify({ logger: { level: 'info', stream } })`.
export function logCapture (): LogCapture {
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
