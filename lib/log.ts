import type { FastifyBaseLogger, FastifyReply } from 'fastify'
import type { ErrorExtras, PluginError } from './errors'
import { extraFields } from './outcomes'
import { summarizeCause } from './describe'

export interface DecisionFields {
  tierHeld?: string | null
  // Logged even when the plugin hides it from the caller (exposeRequiredTier: false).
  tierRequired?: string
}

const loggedFields = extraFields.filter((field) => field !== 'requiredTier')

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

// A log line must never change the answer: a logger (or a serializer) that throws is
// ignored rather than turning a 501 into a 500, or an unhandled rejection.
function write (log: FastifyBaseLogger, level: Level, entry: object, message: string): void {
  try {
    log[level](entry, message)
  } catch {}
}

// One line per decision through the request's logger, with what an operator needs to
// see why a caller got this answer; never the credential that identified the caller.
export function logDecision (reply: FastifyReply, level: string, error: PluginError, fields?: DecisionFields): void {
  if (level === 'silent') return
  const request = reply.request
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

// The warn line of a 503: why the plan or flag could not be had. The cause is summarized
// into a plain object first, so that nothing the resolver threw is read by the logger.
export function logUnavailable (reply: FastifyReply, error: PluginError, cause: unknown): void {
  const request = reply.request
  const err = summarizeCause(cause)
  write(reply.log, 'warn', {
    notImplemented: { code: error.code, statusCode: error.statusCode, method: request.method, url: request.url, route: request.routeOptions.url },
    err
  }, `${error.message}: ${err.message}`)
}
