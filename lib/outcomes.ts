import { Type, type TSchema } from '@sinclair/typebox'

// The one table of what the plugin answers. Everything else is derived from it: the error
// constructors (errors.ts), the TypeBox body schemas (schemas.ts), the default and the
// allowed Cache-Control (options.ts), the body fields beyond Fastify's error shape
// (respond.ts), the decision log's fields (log.ts), the OpenAPI responses (openapi.ts) and
// the RFC 9457 problem types (problem.ts).
// types/index.d.ts is written by hand for readers; test/outcomes.test.ts checks it against
// this table. Adding an outcome means a row here, its docs and its tests.

// Outcomes that depend only on the method, the path and the build: a short max-age keeps a
// CDN from hammering the origin with them, and a deploy that adds the method shows within a
// minute. Never forever, and never left to a cache's heuristics (RFC 9110 §15.1).
const sharedCacheControl = 'max-age=60'
// Outcomes that depend on who is asking: no shared cache may hand them to another caller.
const perCallerCacheControl = 'private, no-store'
// A retired endpoint stays retired: an hour spares the origin the clients that keep calling
// it, and still lets a rollback that brings it back show within the hour. Never forever.
const retiredCacheControl = 'max-age=3600'

interface Row {
  // The status the plugin answers with, and any other a setting may choose instead.
  status: number
  statuses: readonly number[]
  // The error's message, a util.format template filled by the constructor's arguments.
  message: string
  // Body fields beyond Fastify's error shape, with their schemas.
  fields: Record<string, TSchema>
  // Whether the answer depends on who is asking (plan, flags): never storable by a shared cache.
  perCaller: boolean
  cacheControl: string
  // What the answer means, for the OpenAPI document.
  description: string
  // The problem type's title (RFC 9457 §3.1.3), the same whatever the status, the message
  // or the caller. The type's URI is made from the code (lib/problem.ts).
  title: string
}

function row (fields: Row): Row {
  return fields
}

export const errorOutcomes = {
  FST_METHOD_NOT_IMPLEMENTED: row({
    status: 501,
    statuses: [501],
    message: 'Method %s is not implemented by this server',
    fields: {},
    perCaller: false,
    cacheControl: sharedCacheControl,
    description: 'No route of this server implements the method',
    title: 'Method Not Implemented'
  }),
  FST_METHOD_NOT_ALLOWED: row({
    status: 405,
    statuses: [405],
    message: 'Method %s is not allowed on %s',
    fields: {
      allow: Type.Array(Type.String(), { description: 'The methods that answer at this path, as in the Allow header' })
    },
    perCaller: false,
    cacheControl: sharedCacheControl,
    description: 'The path has routes, none for this method; Allow lists those that answer',
    title: 'Method Not Allowed'
  }),
  FST_TIER_REQUIRED: row({
    status: 501,
    statuses: [501, 402, 403],
    message: 'This endpoint requires the %s plan',
    fields: {
      requiredTier: Type.Optional(Type.String({ description: 'The lowest plan that has this endpoint' })),
      upgradeUrl: Type.Optional(Type.String({ description: 'Where the caller can move to that plan (the upgradeUrl option), also sent as Link: <url>; rel="payment"' }))
    },
    perCaller: true,
    cacheControl: perCallerCacheControl,
    description: 'The caller\'s plan is below the route\'s tier',
    title: 'Plan Required'
  }),
  FST_FEATURE_DISABLED: row({
    status: 501,
    statuses: [501],
    message: 'Feature %s is not enabled',
    fields: {
      feature: Type.String({ description: 'The feature flag that is off for this caller' })
    },
    perCaller: true,
    cacheControl: perCallerCacheControl,
    description: 'The route\'s feature flag is off for the caller',
    title: 'Feature Disabled'
  }),
  FST_ENDPOINT_NOT_IMPLEMENTED: row({
    status: 501,
    statuses: [501],
    message: 'Endpoint %s %s is declared but not implemented',
    fields: {},
    perCaller: false,
    cacheControl: sharedCacheControl,
    description: 'Declared in the API, not implemented by this server',
    title: 'Endpoint Not Implemented'
  }),
  FST_TIER_UNAVAILABLE: row({
    status: 503,
    statuses: [503],
    message: 'The caller\'s plan could not be determined',
    fields: {},
    perCaller: true,
    cacheControl: 'no-store',
    description: 'The caller\'s plan or feature flags could not be determined; retry after Retry-After seconds',
    title: 'Plan Unavailable'
  }),
  FST_VERSION_NOT_IMPLEMENTED: row({
    status: 501,
    // 406 and 404 are what other servers answer for a version they do not have.
    statuses: [501, 406, 404],
    message: 'Version %s of %s %s is not implemented',
    fields: {
      version: Type.String({ description: 'The Accept-Version the request asked for' })
    },
    perCaller: false,
    cacheControl: sharedCacheControl,
    description: 'The version asked for with Accept-Version is not implemented',
    title: 'Version Not Implemented'
  }),
  FST_ENDPOINT_GONE: row({
    status: 410,
    statuses: [410],
    message: 'Endpoint %s %s has been retired',
    fields: {},
    perCaller: false,
    cacheControl: retiredCacheControl,
    description: 'The endpoint has been retired (gone, or past its sunset) and will not come back',
    title: 'Endpoint Gone'
  })
} as const

export type ErrorCode = keyof typeof errorOutcomes

// The 204 answer to OPTIONS has no error code, and a Cache-Control of its own.
export const AUTO_OPTIONS = 'OPTIONS'
export const autoOptionsCacheControl = sharedCacheControl

export type Outcome = ErrorCode | typeof AUTO_OPTIONS

export const errorCodes = Object.keys(errorOutcomes) as ErrorCode[]
export const outcomeNames: readonly Outcome[] = [...errorCodes, AUTO_OPTIONS]

export const defaultCacheControl = Object.freeze(Object.fromEntries([
  ...errorCodes.map((code) => [code, errorOutcomes[code].cacheControl]),
  [AUTO_OPTIONS, autoOptionsCacheControl]
])) as Readonly<Record<Outcome, string>>

export const perCallerOutcomes: readonly ErrorCode[] = errorCodes.filter((code) => errorOutcomes[code].perCaller)

// Every body field beyond Fastify's error shape, in the order of the table.
export const extraFields: readonly string[] = [...new Set(errorCodes.flatMap((code) => Object.keys(errorOutcomes[code].fields)))]
