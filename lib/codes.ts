// The stable error codes the plugin answers with (fixed by the public contract).
export const METHOD_NOT_IMPLEMENTED = 'FST_METHOD_NOT_IMPLEMENTED'
export const METHOD_NOT_ALLOWED = 'FST_METHOD_NOT_ALLOWED'
export const TIER_REQUIRED = 'FST_TIER_REQUIRED'
export const FEATURE_DISABLED = 'FST_FEATURE_DISABLED'
export const ENDPOINT_NOT_IMPLEMENTED = 'FST_ENDPOINT_NOT_IMPLEMENTED'
export const TIER_UNAVAILABLE = 'FST_TIER_UNAVAILABLE'
export const VERSION_NOT_IMPLEMENTED = 'FST_VERSION_NOT_IMPLEMENTED'

// The 204 answer to OPTIONS has no error code; it still gets its own Cache-Control entry.
export const AUTO_OPTIONS = 'OPTIONS'

export type ErrorCode =
  | typeof METHOD_NOT_IMPLEMENTED
  | typeof METHOD_NOT_ALLOWED
  | typeof TIER_REQUIRED
  | typeof FEATURE_DISABLED
  | typeof ENDPOINT_NOT_IMPLEMENTED
  | typeof TIER_UNAVAILABLE
  | typeof VERSION_NOT_IMPLEMENTED

export type Outcome = ErrorCode | typeof AUTO_OPTIONS

export const ERROR_CODES: readonly ErrorCode[] = [
  METHOD_NOT_IMPLEMENTED,
  METHOD_NOT_ALLOWED,
  TIER_REQUIRED,
  FEATURE_DISABLED,
  ENDPOINT_NOT_IMPLEMENTED,
  TIER_UNAVAILABLE,
  VERSION_NOT_IMPLEMENTED
]

export const OUTCOMES: readonly Outcome[] = [...ERROR_CODES, AUTO_OPTIONS]
