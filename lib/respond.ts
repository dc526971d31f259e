import { STATUS_CODES } from 'node:http'
import type { FastifyReply } from 'fastify'
import type { ErrorExtras, PluginError } from './errors'
import type { Settings } from './options'
import { usesDefaultErrorHandler } from './fastify-internals'
import { AUTO_OPTIONS, extraFields, type Outcome } from './outcomes'
import { problemContentType, problemOf, type ProblemDetails, type ProblemType } from './problem'

// The problem type an error answer is rendered as, with `problemDetails`. It rides on the
// outcome's headers under a symbol: decided with them, at registration, by outcomeHeaders();
// kept by every copy made of them (`{ ...headers, allow }`); never sent, because headers are
// set by their string names alone.
const problemTypeKey = Symbol('fastify-not-implemented problem type')

export type Headers = Record<string, string> & { [problemTypeKey]?: ProblemType }

// An answer given before the request body is read leaves that body on the wire, and Node
// reads and drops all of it to keep the connection open. Up to this size that is cheaper
// than a new connection; past it, or when the size is unknown (chunked), the answer says
// `Connection: close` and the rest is never read (as Fastify does for a body over its limit).
const maxDrainedBody = 64 * 1024

// The headers an outcome always carries: its Cache-Control (unless configured off, which
// only outcomes that do not depend on the caller may be) and a Vary on what else it
// depends on: Accept-Version where routes are versioned, the `vary` option's headers on
// per-caller answers (for private caches, such as a browser's).
export function outcomeHeaders (settings: Settings, outcome: Outcome, vary?: readonly string[]): Headers {
  const headers: Headers = {}
  const policy = settings.cacheControl[outcome]
  if (policy !== false) headers['cache-control'] = policy
  if (vary !== undefined && vary.length > 0) headers.vary = vary.join(', ')
  if (settings.problemTypes !== undefined && outcome !== AUTO_OPTIONS) headers[problemTypeKey] = settings.problemTypes[outcome]
  return headers
}

// Another plugin (CORS, say) or the app may already vary this response on its own headers.
export function mergeVary (existing: unknown, added: string): string {
  const names = String(existing ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '')
  const have = new Set(names.map((name) => name.toLowerCase()))
  for (const name of added.split(', ')) {
    if (!have.has(name.toLowerCase())) names.push(name)
  }
  return names.join(', ')
}

// Sets the outcome's headers and returns them as set.
function applyHeaders (reply: FastifyReply, headers: Headers): Headers {
  const applied: Headers = {}
  for (const name in headers) {
    applied[name] = name === 'vary' ? mergeVary(reply.getHeader('vary'), headers.vary) : headers[name]
  }
  const request = reply.request.raw
  // HTTP/2 closes a stream, not the connection, and has no Connection header.
  const unread = request.httpVersionMajor === 1 && !request.complete
  if (unread && (request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length']) > maxDrainedBody)) {
    applied.connection = 'close'
  }
  reply.headers(applied)
  return applied
}

export function bodyOf (error: PluginError): Record<string, unknown> {
  const body: Record<string, unknown> = {
    statusCode: error.statusCode,
    code: error.code,
    error: STATUS_CODES[error.statusCode],
    message: error.message
  }
  for (const field of extraFields) {
    const value = error[field as keyof ErrorExtras]
    if (value !== undefined) body[field] = value
  }
  return body
}

// With `problemDetails`, an app's own error handler gets the problem's members on the error
// too, and the whole body as `problem`: `reply.type('application/problem+json').send(error.problem)`.
function describeProblem (error: PluginError, problem: ProblemDetails): void {
  error.type = problem.type
  error.title = problem.title
  error.status = problem.status
  error.detail = problem.detail
  error.problem = problem
}

export function sendError (reply: FastifyReply, error: PluginError, headers: Headers): FastifyReply {
  // Fastify's error path sets `error.headers` on the reply again, so Allow, Cache-Control
  // and Retry-After survive whichever error handler runs.
  error.headers = applyHeaders(reply, headers)
  reply.code(error.statusCode)
  // Fastify's own error handler keeps only { statusCode, code, error, message }; with it in
  // place the plugin writes the documented body itself. An app's own handler gets the
  // error object (with `allow`, `requiredTier`, ... and `headers`) and formats it as it likes,
  // with the Content-Type it chooses: the plugin sets problem+json only on a problem body.
  const problemType = headers[problemTypeKey]
  const rendered = usesDefaultErrorHandler(reply)
  if (problemType === undefined) return rendered ? sendJson(reply, jsonContentType, bodyOf(error)) : reply.send(error)
  const problem = problemOf(error, problemType)
  if (!rendered) {
    describeProblem(error, problem)
    return reply.send(error)
  }
  return sendJson(reply, problemContentType, problem)
}

// What Fastify sets on a body it serializes itself.
const jsonContentType = 'application/json; charset=utf-8'

// Serialized here, in either form: a route's own response schema for this status (say, its
// own 501 or 5xx) would otherwise reshape the body, dropping `code`, `requiredTier`, ...
// that the documentation promises, and a problem+json header would announce a problem the
// body is not. A string with its Content-Type set goes out as it is.
function sendJson (reply: FastifyReply, contentType: string, body: object): FastifyReply {
  reply.header('content-type', contentType)
  return reply.send(JSON.stringify(body))
}

export function sendNoContent (reply: FastifyReply, headers: Headers): FastifyReply {
  applyHeaders(reply, headers)
  return reply.code(204).send()
}
