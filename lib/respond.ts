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

// Whether the request's body is still on the wire and too big to read and drop (or of a size
// not given): then the answer closes the connection. HTTP/2 closes a stream, not the
// connection, and has no Connection header.
function leavesLongBodyUnread (reply: FastifyReply): boolean {
  const request = reply.request.raw
  return request.httpVersionMajor === 1 && !request.complete &&
    (request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length']) > maxDrainedBody)
}

// Sets the outcome's headers and returns them as set: the same object where nothing is
// added to them, so that an answer made in advance costs no copy.
function applyHeaders (reply: FastifyReply, headers: Headers): Headers {
  let applied = headers
  if (headers.vary !== undefined) applied = { ...headers, vary: mergeVary(reply.getHeader('vary'), headers.vary) }
  if (leavesLongBodyUnread(reply)) applied = { ...applied, connection: 'close' }
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
  // and Retry-After survive whichever error handler runs. A copy by name: the handler may
  // change it, and the problem type it carries under a symbol is not a header.
  const applied = applyHeaders(reply, headers)
  error.headers = {}
  for (const name in applied) error.headers[name] = applied[name]
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

// An answer made once and sent as often as it is asked for: a 405 at a path, a 501 for a
// method, a route's tier 501 are the same bytes for every caller who gets them. Building the
// error, formatting its message and serializing its body cost more than the rest of the
// answer (bench/README.md), so that is done once, on first use.
export interface PreparedAnswer {
  // The error the answer stands for, as logged and published.
  error: PluginError
  headers: Headers
  // The headers with the body's Content-Type, as sent when the plugin renders the body.
  rendered: Headers
  body: string
  // A fresh error for an app's own error handler, which may change the one it gets.
  make: () => PluginError
}

// The headers of a rendered answer, one object per outcome's headers (the 405s of every path
// with the same methods share one).
const renderedHeaders = new WeakMap<Headers, Headers>()
function renderedWith (headers: Headers, contentType: string): Headers {
  let rendered = renderedHeaders.get(headers)
  if (rendered === undefined) {
    rendered = { ...headers, 'content-type': contentType }
    renderedHeaders.set(headers, rendered)
  }
  return rendered
}

export function prepareAnswer (make: () => PluginError, headers: Headers): PreparedAnswer {
  const error = make()
  const problemType = headers[problemTypeKey]
  return problemType === undefined
    ? { error, headers, make, rendered: renderedWith(headers, jsonContentType), body: JSON.stringify(bodyOf(error)) }
    : { error, headers, make, rendered: renderedWith(headers, problemContentType), body: JSON.stringify(problemOf(error, problemType)) }
}

// The same answer sendError() gives for `answer.make()`.
export function sendPrepared (reply: FastifyReply, answer: PreparedAnswer): FastifyReply {
  if (!usesDefaultErrorHandler(reply)) return sendError(reply, answer.make(), answer.headers)
  applyHeaders(reply, answer.rendered)
  reply.code(answer.error.statusCode)
  return reply.send(answer.body)
}

export function sendNoContent (reply: FastifyReply, headers: Headers): FastifyReply {
  applyHeaders(reply, headers)
  return reply.code(204).send()
}
