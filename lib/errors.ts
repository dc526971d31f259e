import createError = require('@fastify/error')
import type { FastifyError } from '@fastify/error'
import { errorCodes, errorOutcomes, type ErrorCode } from './outcomes'

// The fields an error of this plugin may carry beyond Fastify's error shape (the `fields`
// of the outcome table), and the headers its answer carries.
export interface ErrorExtras {
  allow?: string[]
  requiredTier?: string
  feature?: string
  version?: string
  upgradeUrl?: string
}

export interface PluginError extends FastifyError, ErrorExtras {
  code: ErrorCode
  statusCode: number
  headers?: Record<string, string>
  // With `problemDetails`, on an error handed to the app's own error handler: the problem's
  // members (RFC 9457), and the whole problem body.
  type?: string
  title?: string
  status?: number
  detail?: string
  problem?: ErrorExtras & { type: string, title: string, status: number, detail: string, code: ErrorCode }
}

type PluginErrorConstructor = new (...args: Array<string | number | undefined>) => PluginError

// One constructor per code of the outcome table, made the ecosystem's way so that apps can
// `instanceof` them in their own error handlers. No stack trace: these are answers, not
// failures, and capturing one through Fastify's hook frames cost more than the rest of a
// 405. The plugin sets the extra fields (allow, requiredTier, ...) on the instances it
// sends; the constructors stay usable on their own.
export const errors: Record<ErrorCode, PluginErrorConstructor> = Object.fromEntries(errorCodes.map((code) => {
  const { message, status } = errorOutcomes[code]
  return [code, createError(code, message, status, Error, false) as unknown as PluginErrorConstructor]
})) as Record<ErrorCode, PluginErrorConstructor>
