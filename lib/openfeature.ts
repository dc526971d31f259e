import type { FastifyRequest } from 'fastify'
import type { IsFeatureEnabled } from './options'

// The part of an OpenFeature server-SDK client the adapter uses. Typed structurally so the
// SDK stays an optional peer: nothing here loads it.
export interface BooleanFlagClient {
  getBooleanDetails (flagKey: string, defaultValue: boolean, context?: Record<string, unknown>): Promise<{ value: boolean, errorCode?: string, errorMessage?: string }>
}

export interface OpenFeatureFlagsOptions {
  // The evaluation context for a request: who is asking (targetingKey) and what about them.
  context?: (request: FastifyRequest) => Record<string, unknown>
}

// A flag the provider does not know is off. Any other evaluation error (provider not
// ready, provider fatal, parse or type errors) means the flag source cannot answer, and the
// gate fails closed with 503 rather than treating "could not ask" as "off".
const flagOffErrors = new Set(['FLAG_NOT_FOUND'])

function defaultContext (request: FastifyRequest): Record<string, unknown> {
  return { ip: request.ip, method: request.method, route: request.routeOptions.url }
}

export function openFeatureFlags (client: BooleanFlagClient, options: OpenFeatureFlagsOptions = {}): IsFeatureEnabled {
  if (client === null || typeof client !== 'object' || typeof client.getBooleanDetails !== 'function') {
    throw new TypeError('fastify-not-implemented: openFeatureFlags needs an OpenFeature client (OpenFeature.getClient())')
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`fastify-not-implemented: openFeatureFlags options must be an object, got ${options === null ? 'null' : typeof options}`)
  }
  const context = options.context === undefined ? defaultContext : options.context
  if (typeof context !== 'function') throw new TypeError('fastify-not-implemented: openFeatureFlags option "context" must be a function')
  return async function isFeatureEnabled (feature, request) {
    const details = await client.getBooleanDetails(feature, false, context(request))
    const { errorCode, errorMessage } = details
    if (errorCode !== undefined && !flagOffErrors.has(errorCode)) {
      throw new Error(`feature flag "${feature}" could not be evaluated: ${errorCode}${errorMessage ? ' ' + errorMessage : ''}`)
    }
    return details.value
  }
}
