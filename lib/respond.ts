import { STATUS_CODES } from 'node:http'
import type { FastifyReply } from 'fastify'
import type { PluginError } from './errors'
import type { Settings } from './options'
import type { Outcome } from './codes'

export type Headers = Record<string, string>

// The headers an outcome always carries: its Cache-Control (unless configured off) and,
// for outcomes a shared cache may store, a Vary on what else they depend on.
export function outcomeHeaders (settings: Settings, outcome: Outcome, vary?: readonly string[]): Headers {
  const headers: Headers = {}
  const policy = settings.cacheControl[outcome]
  if (policy !== false) headers['cache-control'] = policy
  if (vary !== undefined && vary.length > 0) headers.vary = vary.join(', ')
  return headers
}

function mergeVary (existing: unknown, added: string): string {
  if (typeof existing !== 'string' || existing === '') return added
  const have = new Set(existing.split(',').map((v) => v.trim().toLowerCase()))
  const missing = added.split(',').map((v) => v.trim()).filter((v) => !have.has(v.toLowerCase()))
  return missing.length === 0 ? existing : existing + ', ' + missing.join(', ')
}

function applyHeaders (reply: FastifyReply, headers: Headers): void {
  for (const name in headers) {
    // Another plugin (CORS, say) may already vary this response on its own headers.
    reply.header(name, name === 'vary' ? mergeVary(reply.getHeader('vary'), headers.vary) : headers[name])
  }
}

// Fastify's own error handler keeps only { statusCode, code, error, message }; with it in
// place the plugin writes the documented body itself. An app's own handler gets the error
// object (with `allow`, `requiredTier`, ... and `headers`) and formats it as it likes.
function usesDefaultErrorHandler (reply: FastifyReply): boolean {
  return reply.server.errorHandler.name === 'defaultErrorHandler'
}

export function bodyOf (error: PluginError): Record<string, unknown> {
  const body: Record<string, unknown> = {
    statusCode: error.statusCode,
    code: error.code,
    error: STATUS_CODES[error.statusCode],
    message: error.message
  }
  if (error.allow !== undefined) body.allow = error.allow
  if (error.requiredTier !== undefined) body.requiredTier = error.requiredTier
  if (error.feature !== undefined) body.feature = error.feature
  if (error.version !== undefined) body.version = error.version
  return body
}

export function sendError (reply: FastifyReply, error: PluginError, headers: Headers): FastifyReply {
  applyHeaders(reply, headers)
  // Fastify's error path sets `error.headers` on the reply again, so Allow, Cache-Control
  // and Retry-After survive whichever error handler runs.
  error.headers = headers
  reply.code(error.statusCode)
  return usesDefaultErrorHandler(reply) ? reply.send(bodyOf(error)) : reply.send(error)
}

export function sendNoContent (reply: FastifyReply, headers: Headers): FastifyReply {
  applyHeaders(reply, headers)
  return reply.code(204).send()
}
