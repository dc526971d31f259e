import type { FastifyReply } from 'fastify'
import type { PluginError } from './errors'

export interface DecisionFields {
  tierHeld?: string | null
  // Logged even when the plugin hides it from the caller (exposeRequiredTier: false).
  tierRequired?: string
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
  const tierRequired = fields?.tierRequired ?? error.requiredTier
  if (tierRequired !== undefined) entry.tierRequired = tierRequired
  if (error.feature !== undefined) entry.feature = error.feature
  if (fields?.tierHeld !== undefined) entry.tierHeld = fields.tierHeld
  const log = reply.log as unknown as Record<string, (obj: unknown, msg: string) => void>
  log[level]({ notImplemented: entry }, error.message)
}
