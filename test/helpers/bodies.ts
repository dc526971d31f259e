// The bodies the tests expect, written out here once rather than derived from the plugin's
// own table, so that a change to an answer fails a test.

// Fastify's default 404 for a request.
export function fastifyNotFound (method: string, url: string): Record<string, unknown> {
  return { message: `Route ${method}:${url} not found`, error: 'Not Found', statusCode: 404 }
}

export function notImplementedBody (method: string): Record<string, unknown> {
  return {
    statusCode: 501,
    code: 'FST_METHOD_NOT_IMPLEMENTED',
    error: 'Not Implemented',
    message: `Method ${method} is not implemented by this server`
  }
}

export function notAllowedBody (method: string, path: string, allow: string[]): Record<string, unknown> {
  return {
    statusCode: 405,
    code: 'FST_METHOD_NOT_ALLOWED',
    error: 'Method Not Allowed',
    message: `Method ${method} is not allowed on ${path}`,
    allow
  }
}

export function versionNotImplementedBody (method: string, path: string, version: string): Record<string, unknown> {
  return {
    statusCode: 501,
    code: 'FST_VERSION_NOT_IMPLEMENTED',
    error: 'Not Implemented',
    message: `Version ${version} of ${method} ${path} is not implemented`,
    version
  }
}

export function declaredBody (method: string, url: string): Record<string, unknown> {
  return {
    statusCode: 501,
    code: 'FST_ENDPOINT_NOT_IMPLEMENTED',
    error: 'Not Implemented',
    message: `Endpoint ${method} ${url} is declared but not implemented`
  }
}

export function tierRequiredBody (tier = 'plus'): Record<string, unknown> {
  return {
    statusCode: 501,
    code: 'FST_TIER_REQUIRED',
    error: 'Not Implemented',
    message: `This endpoint requires the ${tier} plan`,
    requiredTier: tier
  }
}

export function featureDisabledBody (feature = 'bulk-export'): Record<string, unknown> {
  return {
    statusCode: 501,
    code: 'FST_FEATURE_DISABLED',
    error: 'Not Implemented',
    message: `Feature ${feature} is not enabled`,
    feature
  }
}

export const tierUnavailableBody: Readonly<Record<string, unknown>> = {
  statusCode: 503,
  code: 'FST_TIER_UNAVAILABLE',
  error: 'Service Unavailable',
  message: 'The caller\'s plan could not be determined'
}

export function goneBody (method: string, url: string): Record<string, unknown> {
  return {
    statusCode: 410,
    code: 'FST_ENDPOINT_GONE',
    error: 'Gone',
    message: `Endpoint ${method} ${url} has been retired`
  }
}
