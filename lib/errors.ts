import createError = require('@fastify/error')
import {
  METHOD_NOT_IMPLEMENTED,
  METHOD_NOT_ALLOWED,
  TIER_REQUIRED,
  FEATURE_DISABLED,
  ENDPOINT_NOT_IMPLEMENTED,
  TIER_UNAVAILABLE,
  VERSION_NOT_IMPLEMENTED
} from './codes'

// One constructor per code, made the ecosystem's way so that apps can `instanceof` them
// in their own error handlers. No stack trace: these are answers, not failures, and
// capturing one through Fastify's hook frames cost more than the rest of a 405. The plugin sets the extra fields (allow, requiredTier, ...)
// on the instances it throws; the constructors stay usable on their own.
export const errors = {
  [METHOD_NOT_IMPLEMENTED]: createError(METHOD_NOT_IMPLEMENTED, 'Method %s is not implemented by this server', 501, Error, false),
  [METHOD_NOT_ALLOWED]: createError(METHOD_NOT_ALLOWED, 'Method %s is not allowed on %s', 405, Error, false),
  [TIER_REQUIRED]: createError(TIER_REQUIRED, 'This endpoint requires the %s plan', 501, Error, false),
  [FEATURE_DISABLED]: createError(FEATURE_DISABLED, 'Feature %s is not enabled', 501, Error, false),
  [ENDPOINT_NOT_IMPLEMENTED]: createError(ENDPOINT_NOT_IMPLEMENTED, 'Endpoint %s %s is declared but not implemented', 501, Error, false),
  [TIER_UNAVAILABLE]: createError(TIER_UNAVAILABLE, 'The caller\'s plan could not be determined', 503, Error, false),
  [VERSION_NOT_IMPLEMENTED]: createError(VERSION_NOT_IMPLEMENTED, 'Version %s of %s %s is not implemented', 501, Error, false)
} as const

// The fields an error of this plugin may carry beyond Fastify's error shape.
export interface ErrorExtras {
  allow?: string[]
  requiredTier?: string
  feature?: string
  version?: string
}

export interface PluginError extends Error, ErrorExtras {
  code: string
  statusCode: number
  headers?: Record<string, string>
}
