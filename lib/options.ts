import type { FastifyRequest } from 'fastify'
import { defaultCacheControl, errorOutcomes, outcomeNames, perCallerOutcomes, type ErrorCode, type Outcome } from './outcomes'
import { isPrivateToCaller } from './cache-control'
import { defaultTypeBase, problemTypes, type ProblemTypes } from './problem'
import { normalizeTierCache, type TierCacheOptions, type TierCacheSettings } from './tier-cache-options'
import { normalizeUpgradeUrl, type UpgradeUrl } from './upgrade-url'

export type ResolveTier = (request: FastifyRequest) => string | undefined | null | Promise<string | undefined | null>
export type IsFeatureEnabled = (feature: string, request: FastifyRequest) => boolean | Promise<boolean>

export interface PluginOptions {
  tiers?: readonly string[]
  resolveTier?: ResolveTier
  isFeatureEnabled?: IsFeatureEnabled
  autoOptions?: boolean
  cacheControl?: Partial<Record<Outcome, string | false>>
  vary?: string | readonly string[]
  tierRequiredStatus?: 501 | 402 | 403
  exposeRequiredTier?: boolean
  resolverTimeout?: number
  retryAfter?: number
  logLevel?: LogLevel
  capabilitiesRoute?: string | CapabilitiesRouteOptions
  now?: Clock
  problemDetails?: boolean | ProblemDetailsOptions
  versionNotImplementedStatus?: 501 | 406 | 404
  tierCache?: TierCacheOptions
  hideBelowTier?: boolean
  upgradeUrl?: UpgradeUrl
  sharedSchemas?: boolean
}

export interface ProblemDetailsOptions {
  // An absolute URI to which each code's slug is appended to make its problem type.
  typeBase: string
}

// Milliseconds since the epoch, as `Date.now` gives them: the one clock every sunset is
// compared with, so that tests (and apps that keep their own time) can set it.
export type Clock = () => number

export interface CapabilitiesRouteOptions {
  url: string
  // The route's own gating, read like any route's `config`.
  config?: { tier?: string, feature?: string }
}

type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Settings {
  tiers: readonly string[]
  // Tier name -> rank, decided once here so a request compares two numbers.
  tierRank: Map<string, number>
  resolveTier: ResolveTier | undefined
  isFeatureEnabled: IsFeatureEnabled | undefined
  autoOptions: boolean
  cacheControl: Record<Outcome, string | false>
  vary: readonly string[]
  tierRequiredStatus: 501 | 402 | 403
  exposeRequiredTier: boolean
  resolverTimeout: number
  retryAfter: number
  logLevel: LogLevel
  capabilitiesRoute: Required<CapabilitiesRouteOptions> | undefined
  now: Clock
  // The problem type of each code with `problemDetails`; undefined without.
  problemTypes: ProblemTypes | undefined
  versionNotImplementedStatus: 501 | 406 | 404
  tierCache: TierCacheSettings | undefined
  hideBelowTier: boolean
  upgradeUrl: UpgradeUrl | undefined
  sharedSchemas: boolean
}

export const defaultAutoOptions = true
export const defaultTierRequiredStatus = 501
export const defaultVersionNotImplementedStatus = 501
export const defaultExposeRequiredTier = true
export const defaultResolverTimeout = 1000 // ms
export const defaultRetryAfter = 5 // s
export const defaultLogLevel: LogLevel = 'info'
export const defaultHideBelowTier = false
// Off by default: Fastify hands every shared schema to the serializer of every route with a
// response schema, which made ready() with 5,000 such routes take 1.4 to 1.7 times as long
// as without the plugin (bench/README.md). Routes and documents that `$ref` the plugin's
// schemas by `$id` turn it on.
export const defaultSharedSchemas = false
// Node turns a timer delay above 2^31 - 1 ms into 1 ms: a "long" timeout would fire at once.
export const maxResolverTimeout = 2147483647 // ms

const knownOptions = new Set([
  'tiers', 'resolveTier', 'isFeatureEnabled', 'autoOptions', 'cacheControl', 'vary',
  'tierRequiredStatus', 'exposeRequiredTier', 'resolverTimeout', 'retryAfter', 'logLevel',
  'capabilitiesRoute', 'now', 'problemDetails', 'versionNotImplementedStatus',
  'tierCache', 'hideBelowTier', 'upgradeUrl',
  'sharedSchemas'
])
const logLevels = new Set<string>(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
// RFC 9110 §5.6.2 token, the grammar of a header field name.
const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// RFC 9110 §5.5 field value, without obs-text: what Node lets through `setHeader` unchanged.
const headerValuePattern = /^[\t\x20-\x7e]+$/
// RFC 3986 §3: a scheme, then only the characters a URI may hold.
const absoluteUriPattern = /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/
// Where a code's slug can follow: a path segment, a fragment, a URN's part, a query value.
const typeBaseEndings = ['/', '#', ':', '=']

// Quotes strings, so that '402' does not read like the valid 402.
function show (value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}

function fail (message: string): never {
  throw new TypeError(`fastify-not-implemented: ${message}`)
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function optionalFunction<T> (options: Record<string, unknown>, name: string): T | undefined {
  const value = options[name]
  if (value === undefined) return undefined
  if (typeof value !== 'function') fail(`option "${name}" must be a function, got ${typeof value}`)
  return value as T
}

function optionalBoolean (options: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = options[name]
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') fail(`option "${name}" must be a boolean, got ${typeof value}`)
  return value
}

// `max` keeps a value that passes here from breaking at request time: a timer delay Node
// would shorten, or a number that prints in exponent form in a header.
function optionalPositiveInteger (options: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const value = options[name]
  if (value === undefined) return fallback
  const ok = typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value <= max
  if (!ok) fail(`option "${name}" must be a whole number from 1 to ${max}, got ${show(value)}`)
  return value
}

function normalizeTiers (value: unknown): readonly string[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) fail(`option "tiers" must be an array of plan names, lowest first, got ${typeof value}`)
  const seen = new Set<string>()
  for (const tier of value) {
    if (typeof tier !== 'string' || tier.length === 0) fail(`option "tiers" must hold non-empty strings, got ${JSON.stringify(tier)}`)
    if (seen.has(tier)) fail(`option "tiers" names "${tier}" twice`)
    seen.add(tier)
  }
  return Object.freeze([...value])
}

function normalizeCacheControl (value: unknown): Record<Outcome, string | false> {
  const result = { ...defaultCacheControl } as Record<Outcome, string | false>
  if (value === undefined) return result
  if (!isPlainObject(value)) fail('option "cacheControl" must be an object keyed by outcome code')
  for (const [key, policy] of Object.entries(value)) {
    if (!(outcomeNames as readonly string[]).includes(key)) {
      fail(`option "cacheControl" has an unknown key "${key}"; known keys: ${outcomeNames.join(', ')}`)
    }
    if (policy !== false && (typeof policy !== 'string' || policy.trim() === '' || !headerValuePattern.test(policy))) {
      fail(`option "cacheControl.${key}" must be a Cache-Control value (visible ASCII, spaces and tabs) or false, got ${JSON.stringify(policy)}`)
    }
    result[key as Outcome] = policy as string | false
  }
  for (const code of perCallerOutcomes) {
    const policy = result[code]
    if (policy === false || !isPrivateToCaller(policy)) {
      fail(`option "cacheControl.${code}" would let a shared cache store an answer that depends on the caller, and serve one caller's answer to another; it must contain "private" or "no-store" (default ${JSON.stringify(defaultCacheControl[code])}), got ${JSON.stringify(policy)}`)
    }
  }
  return result
}

function normalizeVary (value: unknown): readonly string[] {
  if (value === undefined) return []
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list)) fail('option "vary" must be a header name or an array of header names')
  for (const name of list) {
    if (typeof name !== 'string' || !tokenPattern.test(name)) fail(`option "vary" must hold header names, got ${JSON.stringify(name)}`)
  }
  return Object.freeze([...list])
}

function capabilitiesUrl (url: unknown): string {
  if (typeof url !== 'string' || !url.startsWith('/')) {
    fail(`option "capabilitiesRoute" must be a path starting with "/" (for example "/.well-known/capabilities"), got ${JSON.stringify(url)}`)
  }
  return url
}

// The route's tier and feature are checked like any route's, when the route is registered.
function normalizeCapabilitiesRoute (value: unknown): Required<CapabilitiesRouteOptions> | undefined {
  if (value === undefined) return undefined
  if (!isPlainObject(value)) return { url: capabilitiesUrl(value), config: {} }
  for (const key of Object.keys(value)) {
    if (key !== 'url' && key !== 'config') fail(`option "capabilitiesRoute" has an unknown key "${key}"; known keys: url, config`)
  }
  const url = capabilitiesUrl(value.url)
  const config = value.config ?? {}
  if (!isPlainObject(config)) fail('option "capabilitiesRoute.config" must be an object such as { tier, feature }')
  for (const key of Object.keys(config)) {
    if (key !== 'tier' && key !== 'feature') fail(`option "capabilitiesRoute.config" has an unknown key "${key}"; known keys: tier, feature`)
  }
  return { url, config: { ...config } }
}

// Called once here, so that a clock that cannot tell the time stops the app at start-up
// rather than retiring (or keeping) every endpoint with a sunset.
function normalizeClock (value: unknown): Clock {
  if (value === undefined) return Date.now
  if (typeof value !== 'function') fail(`option "now" must be a function returning milliseconds since the epoch (like Date.now), got ${typeof value}`)
  const time: unknown = value()
  if (typeof time !== 'number' || !Number.isFinite(time)) fail(`option "now" must return milliseconds since the epoch (like Date.now), returned ${show(time)}`)
  return value as Clock
}

// Statuses a setting may give an outcome instead of its own: those of its row.
function statusOption<Status extends number> (options: Record<string, unknown>, name: string, code: ErrorCode, fallback: Status): Status {
  const value = options[name] ?? fallback
  const statuses: readonly unknown[] = errorOutcomes[code].statuses
  if (!statuses.includes(value)) {
    fail(`option "${name}" must be ${statuses.join(', ').replace(/, (\d+)$/, ' or $1')}, got ${show(value)}`)
  }
  return value as Status
}

function normalizeTypeBase (typeBase: unknown): string {
  const ok = typeof typeBase === 'string' && absoluteUriPattern.test(typeBase) &&
    typeBaseEndings.includes(typeBase.slice(-1)) && URL.canParse(typeBase + 'x')
  if (!ok) {
    fail(`option "problemDetails.typeBase" must be an absolute URI ending in ${typeBaseEndings.map((end) => `"${end}"`).join(', ').replace(/, ([^,]+)$/, ' or $1')}, to which each code's slug is appended (for example "https://example.com/problems/"), got ${show(typeBase)}`)
  }
  return typeBase
}

function normalizeProblemDetails (value: unknown): ProblemTypes | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return problemTypes(defaultTypeBase)
  if (!isPlainObject(value)) fail(`option "problemDetails" must be a boolean or { typeBase }, got ${show(value)}`)
  for (const key of Object.keys(value)) {
    if (key !== 'typeBase') fail(`option "problemDetails" has an unknown key "${key}"; known keys: typeBase`)
  }
  return problemTypes(normalizeTypeBase(value.typeBase))
}

export function normalizeOptions (input: unknown): Settings {
  const options = input === undefined ? {} : input
  if (!isPlainObject(options)) fail(`options must be an object, got ${typeof options}`)
  for (const key of Object.keys(options)) {
    if (!knownOptions.has(key)) fail(`unknown option "${key}"; known options: ${[...knownOptions].join(', ')}`)
  }

  const tiers = normalizeTiers(options.tiers)
  const cacheControl = normalizeCacheControl(options.cacheControl)
  const vary = normalizeVary(options.vary)
  const tierRequiredStatus = statusOption<Settings['tierRequiredStatus']>(options, 'tierRequiredStatus', 'FST_TIER_REQUIRED', defaultTierRequiredStatus)
  const versionNotImplementedStatus = statusOption<Settings['versionNotImplementedStatus']>(options, 'versionNotImplementedStatus', 'FST_VERSION_NOT_IMPLEMENTED', defaultVersionNotImplementedStatus)
  const logLevel = options.logLevel ?? defaultLogLevel
  if (typeof logLevel !== 'string' || !logLevels.has(logLevel)) {
    fail(`option "logLevel" must be one of ${[...logLevels].join(', ')}, got ${JSON.stringify(logLevel)}`)
  }

  const resolveTier = optionalFunction<ResolveTier>(options, 'resolveTier')
  return {
    tiers,
    tierRank: new Map(tiers.map((tier, rank) => [tier, rank])),
    resolveTier,
    isFeatureEnabled: optionalFunction<IsFeatureEnabled>(options, 'isFeatureEnabled'),
    autoOptions: optionalBoolean(options, 'autoOptions', defaultAutoOptions),
    cacheControl,
    vary,
    tierRequiredStatus,
    exposeRequiredTier: optionalBoolean(options, 'exposeRequiredTier', defaultExposeRequiredTier),
    resolverTimeout: optionalPositiveInteger(options, 'resolverTimeout', defaultResolverTimeout, maxResolverTimeout),
    retryAfter: optionalPositiveInteger(options, 'retryAfter', defaultRetryAfter, Number.MAX_SAFE_INTEGER),
    logLevel: logLevel as LogLevel,
    capabilitiesRoute: normalizeCapabilitiesRoute(options.capabilitiesRoute),
    now: normalizeClock(options.now),
    problemTypes: normalizeProblemDetails(options.problemDetails),
    versionNotImplementedStatus,
    tierCache: normalizeTierCache(options.tierCache, resolveTier !== undefined),
    hideBelowTier: optionalBoolean(options, 'hideBelowTier', defaultHideBelowTier),
    upgradeUrl: normalizeUpgradeUrl(options.upgradeUrl),
    sharedSchemas: optionalBoolean(options, 'sharedSchemas', defaultSharedSchemas)
  }
}
