import type { FastifyRequest } from 'fastify'

export type UpgradeUrl = string | ((requiredTier: string, request: FastifyRequest) => string | undefined)

// RFC 3986 URI-reference characters (unreserved, reserved and "%"): a value that fits both
// a JSON string and the `<...>` of a Link header (RFC 8288) with nothing escaped.
const uriReferencePattern = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/

export function isUriReference (value: unknown): value is string {
  return typeof value === 'string' && uriReferencePattern.test(value)
}

export function normalizeUpgradeUrl (value: unknown): UpgradeUrl | undefined {
  if (value === undefined || typeof value === 'function') return value as UpgradeUrl | undefined
  if (!isUriReference(value)) {
    throw new TypeError(`fastify-not-implemented: option "upgradeUrl" must be a URL (RFC 3986 characters, such as "https://example.com/billing") or a function (requiredTier, request) => string | undefined, got ${JSON.stringify(value)}`)
  }
  return value
}

// The page where the caller can move to `requiredTier`. A function that throws or returns
// something that is not a URL adds nothing: the denial stands without the link, since a
// failing link must not turn a plain "not on your plan" into a 503 or a 500.
export function upgradeUrlFor (upgradeUrl: UpgradeUrl, requiredTier: string, request: FastifyRequest): string | undefined {
  if (typeof upgradeUrl === 'string') return upgradeUrl
  let url: unknown
  try {
    url = upgradeUrl(requiredTier, request)
  } catch {
    return undefined
  }
  return isUriReference(url) ? url : undefined
}
