import { channel } from 'node:diagnostics_channel'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import type { ErrorExtras, PluginError } from './errors'
import { extraFields, type Outcome } from './outcomes'
import { summarizeCause } from './describe'

// How each answer the plugin makes is recorded: one log line through the request's logger
// and one message on a diagnostics channel, with the same fields, for operators. Nothing
// here may change the answer, and nothing is built for a channel nobody listens to.

export const decisionChannelName = 'fastify-not-implemented:decision'
export const resolverChannelName = 'fastify-not-implemented:resolver'
const decisionChannel = channel(decisionChannelName)
export const resolverChannel = channel(resolverChannelName)

// The message on `fastify-not-implemented:decision`, one per answer the plugin makes.
export interface Decision {
  // null for the 501 to a method no router knows (clientErrorHandler's, or over HTTP/2),
  // which Fastify never made a request of.
  request: FastifyRequest | null
  // The outcome: an error code, or OPTIONS for the 204 answer.
  code: Outcome
  statusCode: number
  method: string
  // The matched route's URL template; null on the not-found path.
  route: string | null
  tierRequired?: string
  tierHeld?: string | null
  feature?: string
}

// The message on `fastify-not-implemented:resolver`, one per call of `resolveTier` or
// `isFeatureEnabled` on a gated route, whatever the gate then answers.
export interface ResolverCall {
  request: FastifyRequest
  source: 'resolveTier' | 'isFeatureEnabled'
  route: string
  // Milliseconds from the call to its answer, its failure or the timeout.
  duration: number
  outcome: 'answered' | 'failed' | 'timed out'
}

export interface DecisionFields {
  tierHeld?: string | null
  // Logged even when the plugin hides it from the caller (exposeRequiredTier: false).
  tierRequired?: string
}

const loggedFields = extraFields.filter((field) => field !== 'requiredTier')

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

// A log line must never change the answer: a logger (or a serializer) that throws is
// ignored rather than turning a 501 into a 500, or an unhandled rejection. (A channel's
// subscribers are called inside `publish`, which never throws: Node reports a subscriber's
// error as an uncaught exception of that subscriber's own.)
function write (log: FastifyBaseLogger, level: Level, entry: object, message: string): void {
  try {
    log[level](entry, message)
  } catch {}
}

// Whether a logger's method for a level writes nothing: Fastify's own logger where the app
// has none (every method an empty function), or pino's for a level below its own. The entry
// is not built for it, as Fastify builds none for its own request lines then. The last
// silent and the last writing method seen are kept, so that a function's source is read
// once, not on every answer; a method that takes parameters is taken to write, and so is
// one that cannot be looked at (a logger must never change the answer).
const emptyFunction = /^(?:function\b[^(]*)?\(\s*\)\s*(?:=>\s*)?\{\s*\}$/
let lastSilent: unknown
let lastWriting: unknown
function logMethod (log: FastifyBaseLogger, level: Level): unknown {
  try {
    return log[level]
  } catch {
    return undefined
  }
}

export function writesNothing (method: unknown): boolean {
  if (typeof method !== 'function') return false
  if (method === lastSilent) return true
  if (method === lastWriting) return false
  let silent = false
  try {
    silent = method.length === 0 && emptyFunction.test(Function.prototype.toString.call(method))
  } catch {}
  if (silent) lastSilent = method
  else lastWriting = method
  return silent
}

function routeOf (request: FastifyRequest): string | null {
  return request.routeOptions.url ?? null
}

// The log line and the message of an error answer: what an operator needs to see why a
// caller got it; never the credential that identified the caller.
export function recordDecision (reply: FastifyReply, level: string, error: PluginError, fields?: DecisionFields): void {
  const request = reply.request
  if (decisionChannel.hasSubscribers) {
    const message: Decision = { request, code: error.code, statusCode: error.statusCode, method: request.method, route: routeOf(request) }
    const tierRequired = fields?.tierRequired
    if (tierRequired !== undefined) message.tierRequired = tierRequired
    if (fields?.tierHeld !== undefined) message.tierHeld = fields.tierHeld
    if (error.feature !== undefined) message.feature = error.feature
    decisionChannel.publish(message)
  }
  if (level === 'silent' || writesNothing(logMethod(reply.log, level as Level))) return
  const entry: Record<string, unknown> = {
    code: error.code,
    statusCode: error.statusCode,
    method: request.method,
    url: request.url,
    route: request.routeOptions.url
  }
  // The body's own fields (the outcome table's), then what the caller may not see. The
  // required tier is always logged as `tierRequired`, beside `tierHeld`, also where the
  // body hides it (exposeRequiredTier: false).
  for (const field of loggedFields) {
    const value = error[field as keyof ErrorExtras]
    if (value !== undefined) entry[field] = value
  }
  if (fields?.tierRequired !== undefined) entry.tierRequired = fields.tierRequired
  if (fields?.tierHeld !== undefined) entry.tierHeld = fields.tierHeld
  write(reply.log, level as Level, { notImplemented: entry }, error.message)
}

// The 503: a warn line with why the plan or flag could not be had. The cause is summarized
// into a plain object first, so that nothing the resolver threw is read by the logger.
export function recordUnavailable (reply: FastifyReply, error: PluginError, cause: unknown): void {
  const request = reply.request
  if (decisionChannel.hasSubscribers) {
    decisionChannel.publish({ request, code: error.code, statusCode: error.statusCode, method: request.method, route: routeOf(request) } satisfies Decision)
  }
  const err = summarizeCause(cause)
  write(reply.log, 'warn', {
    notImplemented: { code: error.code, statusCode: error.statusCode, method: request.method, url: request.url, route: request.routeOptions.url },
    err
  }, `${error.message}: ${err.message}`)
}

// The 204 answer to OPTIONS: a message, no log line (it answers a question, refuses nothing).
export function recordOptions (request: FastifyRequest): void {
  if (!decisionChannel.hasSubscribers) return
  decisionChannel.publish({ request, code: 'OPTIONS', statusCode: 204, method: request.method, route: null } satisfies Decision)
}

// The clientErrorHandler's 501, for a method Node's parser refused before Fastify saw it.
export function recordRefusedMethod (log: FastifyBaseLogger, level: string, method: string): void {
  if (decisionChannel.hasSubscribers) {
    decisionChannel.publish({ request: null, code: 'FST_METHOD_NOT_IMPLEMENTED', statusCode: 501, method, route: null } satisfies Decision)
  }
  if (level === 'silent') return
  write(log, level as Level, { notImplemented: { code: 'FST_METHOD_NOT_IMPLEMENTED', statusCode: 501, method } }, `Method ${method} is not implemented by this server`)
}
