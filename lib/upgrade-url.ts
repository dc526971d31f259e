import type { FastifyRequest } from 'fastify'

export type UpgradeUrlFunction = (requiredTier: string, request: FastifyRequest) => string | undefined
export type UpgradeUrl = string | UpgradeUrlFunction

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

// The page where the caller can move to `requiredTier`, from the option's function (a string
// is the same for every denial, and goes into the answer made in advance). One that throws or returns
// something that is not a URL adds nothing: the denial stands without the link, since a
// failing link must not turn a plain "not on your plan" into a 503 or a 500.
export function upgradeUrlFor (upgradeUrl: UpgradeUrlFunction, requiredTier: string, request: FastifyRequest): string | undefined {
  let url: unknown
  try {
    url = upgradeUrl(requiredTier, request)
  } catch {
    return undefined
  }
  return isUriReference(url) ? url : undefined
}
