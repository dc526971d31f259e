import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, RouteOptions } from 'fastify'
import type { FastifyErrorConstructor } from '@fastify/error'
// TypeBox 0.34 ships CommonJS and ES module typings, each with its own `Kind` symbol: a schema
// typed with one is no `TSchema` to the other. The schemas are declared with both, so that they
// fit whichever typings an app's own `import ... from '@sinclair/typebox'` gets. TypeBox 1.x
// (`typebox`) infers the same bodies from their JSON Schema shape.
import type * as Cjs from '@sinclair/typebox' with { 'resolution-mode': 'require' }
import type * as Esm from '@sinclair/typebox' with { 'resolution-mode': 'import' }

type FastifyNotImplementedPlugin = FastifyPluginAsync<fastifyNotImplemented.FastifyNotImplementedOptions>
// TypeBox 0.34 types of the CommonJS typings, with the ES module typings' symbols added (and,
// where an option holds a schema, that option typed for both), so that both typings accept them.
type Dual<Type extends Cjs.TSchema> = Type & { [Esm.Kind]: Type[typeof Cjs.Kind] } &
  (Type extends { [Cjs.OptionalKind]: 'Optional' } ? { [Esm.OptionalKind]: 'Optional' } : unknown)
type DualSchema = Dual<Cjs.TSchema>
type DualString = Dual<Cjs.TString>
type DualLiteral<Value extends string | number> = Dual<Cjs.TLiteral<Value>>
type DualArray<Items extends DualSchema> = Dual<Cjs.TArray<Items>> & { contains?: Esm.TSchema }
type DualUnion<Types extends DualSchema[]> = Dual<Cjs.TUnion<Types>>
type DualOptional<Type extends DualSchema> = Dual<Cjs.TOptional<Type>>
type DualObject<Properties extends Record<string, DualSchema>> = Dual<Cjs.TObject<Properties>> & {
  additionalProperties?: Esm.TAdditionalProperties
}
// The plugin with every export on it, as `module.exports` is at run time.
type FastifyNotImplemented = typeof fastifyNotImplemented

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The lowest plan (one of the plugin's `tiers`) that may call this route. */
    tier?: fastifyNotImplemented.TierName
    /** A feature flag that must be on for the caller (checked with `isFeatureEnabled`). */
    feature?: string
    /** `false` declares an endpoint this build lacks: it answers 501 FST_ENDPOINT_NOT_IMPLEMENTED. */
    implemented?: boolean
    /**
     * An endpoint on its way out: every response carries `Deprecation: @<unix seconds>`
     * (RFC 9745), `Sunset` (RFC 8594) and `Link: <link>; rel="deprecation"` when set; from
     * `sunset` on it answers 410 FST_ENDPOINT_GONE.
     */
    deprecation?: fastifyNotImplemented.Deprecation
    /** `true`: a retired endpoint; it answers 410 FST_ENDPOINT_GONE and counts for no `Allow`. */
    gone?: boolean
  }

  interface FastifyInstance {
    /**
     * Declares an endpoint that is part of the API but not built yet: no handler, it answers
     * 501 FST_ENDPOINT_NOT_IMPLEMENTED, and it counts for `Allow` like any other route.
     * With `config: { gone: true }`, one this build has retired: it answers 410 FST_ENDPOINT_GONE.
     */
    declareRoute (options: Omit<RouteOptions, 'handler'>): this
    /** Every route the plugin has seen, with its methods, tier, feature and versions. */
    capabilities (): fastifyNotImplemented.CapabilityMatrix
    /**
     * Forgets a tenant's cached tier (the `tierCache` option): the next request for it asks
     * `resolveTier` again. With `tierCache.redis`, resolves once every subscribed instance
     * has forgotten it; rejects when Redis could not be reached (the tier is then forgotten on
     * this instance only). Without `tierCache`, nothing is cached and it resolves at once.
     */
    invalidateTier (key: string): Promise<void>
  }
}

declare namespace fastifyNotImplemented {
  /**
   * The plan names an app uses. Augment it to have misspelled tiers rejected at compile time:
   *
   * ```ts
   * declare module 'fastify-not-implemented' {
   *   interface TierRegistry { free: true, plus: true }
   * }
   * ```
   */
  export interface TierRegistry {}

  /** Any string until an app augments `TierRegistry`; then only the names registered there. */
  export type TierName = [keyof TierRegistry] extends [never] ? string : Extract<keyof TierRegistry, string>

  export type ErrorCode =
    | 'FST_METHOD_NOT_IMPLEMENTED'
    | 'FST_METHOD_NOT_ALLOWED'
    | 'FST_TIER_REQUIRED'
    | 'FST_FEATURE_DISABLED'
    | 'FST_ENDPOINT_NOT_IMPLEMENTED'
    | 'FST_TIER_UNAVAILABLE'
    | 'FST_VERSION_NOT_IMPLEMENTED'
    | 'FST_ENDPOINT_GONE'

  /** Every kind of response the plugin makes: an error code, or `OPTIONS` for its 204. */
  export type Outcome = ErrorCode | 'OPTIONS'

  export type ResolveTier = (request: FastifyRequest) =>
    TierName | undefined | null | Promise<TierName | undefined | null>

  export type IsFeatureEnabled = (feature: string, request: FastifyRequest) => boolean | Promise<boolean>

  /** A date as a `Date` or an ISO 8601 string (`'2026-01-31'`, `'2026-01-31T12:00:00Z'`). */
  export type LifecycleDate = Date | string

  export interface Deprecation {
    /** When the endpoint was (or will be) deprecated. */
    date: LifecycleDate
    /** When it stops answering: from then on, 410 FST_ENDPOINT_GONE. Not before `date`. */
    sunset?: LifecycleDate
    /** Where the deprecation is explained: sent as `Link: <link>; rel="deprecation"`. */
    link?: string
  }

  export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

  /**
   * The part of an ioredis client (`new Redis(...)`) that `tierCache.redis` uses; the plugin
   * never loads ioredis itself, and opens its subscription with `duplicate()`.
   */
  export interface RedisClientLike {
    status: string
    duplicate (): {
      subscribe (...channels: string[]): Promise<unknown>
      on (event: string, listener: (...args: any[]) => void): unknown
      disconnect (): void
    }
    mget (...keys: string[]): Promise<Array<string | null>>
    set (key: string, value: string, ...args: any[]): Promise<unknown>
    eval (script: string, numberOfKeys: number, ...args: Array<string | number>): Promise<unknown>
    publish (channel: string, message: string): Promise<number>
  }

  export interface TierCacheOptions {
    /** The tenant whose plan this request's is; `undefined`: not cached, the resolver is asked. */
    key: (request: FastifyRequest) => string | undefined
    /** Milliseconds a resolved tier is used without asking the resolver again. Default 30000. */
    ttl?: number
    /** Milliseconds past `ttl` that a cached tier still answers while the resolver fails. Default 300000. */
    staleIfError?: number
    /** Tenants kept in memory, least recently used dropped first. Default 10000. */
    max?: number
    /** An ioredis client: the instances sharing it share resolved tiers and invalidations. */
    redis?: RedisClientLike
  }

  export interface FastifyNotImplementedOptions {
    /** Plan names, lowest first. */
    tiers?: readonly TierName[]
    /** The caller's plan; called at most once per request, and only on gated routes. */
    resolveTier?: ResolveTier
    /** Whether a feature flag is on for this caller. */
    isFeatureEnabled?: IsFeatureEnabled
    /** Answer OPTIONS with 204 + `Allow` where the app has no OPTIONS route. Default `true`. */
    autoOptions?: boolean
    /** `Cache-Control` per outcome; `false` sends none. */
    cacheControl?: Partial<Record<Outcome, string | false>>
    /** Request headers that per-caller answers vary on, when `cacheControl` lets a shared cache store them. */
    vary?: string | readonly string[]
    /** Status of FST_TIER_REQUIRED. Default 501. */
    tierRequiredStatus?: 501 | 402 | 403
    /** Put `requiredTier` in FST_TIER_REQUIRED bodies. Default `true`. */
    exposeRequiredTier?: boolean
    /** Milliseconds `resolveTier` and `isFeatureEnabled` may take before the answer is 503. */
    resolverTimeout?: number
    /** Seconds in the `Retry-After` of FST_TIER_UNAVAILABLE. */
    retryAfter?: number
    /** Level of the log line for each answer the plugin makes. */
    logLevel?: LogLevel
    /** Opt-in route that serves the capability matrix (`app.capabilities()`) as JSON. */
    capabilitiesRoute?: string | CapabilitiesRouteOptions
    /** The clock every sunset is compared with: milliseconds since the epoch. Default `Date.now`. */
    now?: () => number
    /**
     * Every error answer as RFC 9457 `application/problem+json`: `{ type, title, status, detail,
     * code }` and the same extra fields. `true` takes the project's documented type URIs;
     * `{ typeBase }` appends each code's slug to your own absolute URI. Default `false`.
     */
    problemDetails?: boolean | ProblemDetailsOptions
    /** Status of FST_VERSION_NOT_IMPLEMENTED. Default 501. */
    versionNotImplementedStatus?: 501 | 406 | 404
    /** Remember each tenant's tier; survive a failing resolver; share across a fleet. Needs `resolveTier`. */
    tierCache?: TierCacheOptions
    /** A caller below the route's tier gets the app's own 404 (`reply.callNotFound()`), not a 501. Default `false`. */
    hideBelowTier?: boolean
    /** Where a caller below the route's tier can upgrade: body field `upgradeUrl` and `Link: <url>; rel="payment"`. */
    upgradeUrl?: string | ((requiredTier: TierName, request: FastifyRequest) => string | undefined)
    /** Register `schemas` with `addSchema` (under `fastify-not-implemented/<CODE>`, and with `problemDetails` the problem forms under `fastify-not-implemented/problem/<CODE>`), so that routes can `$ref` them. Default `false`: every shared schema costs start-up time on every route with a response schema. */
    sharedSchemas?: boolean
  }

  export interface ProblemDetailsOptions {
    /** An absolute URI ending in `/`, `#`, `:` or `=`; the type of a code is this plus its slug (`method-not-allowed`). */
    typeBase: string
  }

  /** The body of an answer with `problemDetails` (RFC 9457), as sent and as `error.problem`. */
  export interface ProblemDetails {
    /** A URI that differs per code. */
    type: string
    /** The same for every answer of a code. */
    title: string
    status: number
    /** The error's message. */
    detail: string
    code: ErrorCode
    allow?: string[]
    requiredTier?: string
    feature?: string
    upgradeUrl?: string
    version?: string
  }

  export interface CapabilitiesRouteOptions {
    url: string
    /** The route's own gating, as in any route's `config`. */
    config?: { tier?: TierName, feature?: string }
  }

  export interface CapabilityMethod {
    method: string
    /** `false` for an endpoint declared with `implemented: false`. */
    implemented: boolean
    tier?: string
    feature?: string
    /** The `constraints.version` values it answers; absent on an unversioned route. */
    versions?: string[]
    /** The route's schema says `hide: true`. */
    hidden?: true
    /** `config.deprecation.date`, ISO 8601. */
    deprecation?: string
    /** `config.deprecation.sunset`, ISO 8601. */
    sunset?: string
    /** Retired: `gone: true`, or its sunset has passed; it answers 410 FST_ENDPOINT_GONE. */
    gone?: true
  }

  export interface CapabilityRoute {
    path: string
    methods: CapabilityMethod[]
  }

  export interface CapabilityMatrix {
    /** sha256 of the canonical JSON of `routes`: the same routes and gates give the same digest. */
    digest: string
    routes: CapabilityRoute[]
  }

  /** Fields the plugin sets on the errors it sends, beside Fastify's own. */
  export interface NotImplementedErrorFields {
    /** The headers the response carries (`Allow`, `Cache-Control`, `Retry-After`, `Vary`). */
    headers?: Record<string, string>
    /** With `problemDetails`, on the error an app's own error handler gets: the problem's type. */
    type?: string
    /** With `problemDetails`: the problem's title. */
    title?: string
    /** With `problemDetails`: the status, as `statusCode`. */
    status?: number
    /** With `problemDetails`: the message. */
    detail?: string
    /** With `problemDetails`: the whole body the plugin would send, ready for `reply.send()`. */
    problem?: ProblemDetails
  }

  export interface NotImplementedErrors {
    FST_METHOD_NOT_IMPLEMENTED: FastifyErrorConstructor<{ code: 'FST_METHOD_NOT_IMPLEMENTED', statusCode: 501 } & NotImplementedErrorFields>
    FST_METHOD_NOT_ALLOWED: FastifyErrorConstructor<{ code: 'FST_METHOD_NOT_ALLOWED', statusCode: 405, allow?: string[] } & NotImplementedErrorFields>
    /** 501 unless the plugin's `tierRequiredStatus` says 402 or 403. */
    FST_TIER_REQUIRED: FastifyErrorConstructor<{ code: 'FST_TIER_REQUIRED', statusCode: 501 | 402 | 403, requiredTier?: string, upgradeUrl?: string } & NotImplementedErrorFields>
    FST_FEATURE_DISABLED: FastifyErrorConstructor<{ code: 'FST_FEATURE_DISABLED', statusCode: 501, feature?: string } & NotImplementedErrorFields>
    FST_ENDPOINT_NOT_IMPLEMENTED: FastifyErrorConstructor<{ code: 'FST_ENDPOINT_NOT_IMPLEMENTED', statusCode: 501 } & NotImplementedErrorFields>
    FST_TIER_UNAVAILABLE: FastifyErrorConstructor<{ code: 'FST_TIER_UNAVAILABLE', statusCode: 503 } & NotImplementedErrorFields>
    /** 501 unless the plugin's `versionNotImplementedStatus` says 406 or 404. */
    FST_VERSION_NOT_IMPLEMENTED: FastifyErrorConstructor<{ code: 'FST_VERSION_NOT_IMPLEMENTED', statusCode: 501 | 406 | 404, version?: string } & NotImplementedErrorFields>
    FST_ENDPOINT_GONE: FastifyErrorConstructor<{ code: 'FST_ENDPOINT_GONE', statusCode: 410 } & NotImplementedErrorFields>
  }

  /** The `$id` under which the plugin registers the schema of a code with `addSchema`. */
  export type SchemaId<Code extends ErrorCode> = `fastify-not-implemented/${Code}`

  /**
   * The TypeBox schema of one error body: Fastify's error shape plus the outcome's own fields.
   * A TypeBox 0.34 `TObject` to both its CommonJS and its ES module typings, and a JSON Schema
   * from which TypeBox 1.x infers the same body.
   */
  export type ErrorBodySchema<
    Code extends ErrorCode,
    Status extends DualSchema,
    Extra extends Record<string, DualSchema> = Record<never, never>
  > = DualObject<{
    statusCode: Status
    code: DualLiteral<Code>
    error: DualString
    message: DualString
  } & Extra> & { $id: SchemaId<Code>, title: Code }

  export interface NotImplementedSchemas {
    FST_METHOD_NOT_IMPLEMENTED: ErrorBodySchema<'FST_METHOD_NOT_IMPLEMENTED', DualLiteral<501>>
    FST_METHOD_NOT_ALLOWED: ErrorBodySchema<'FST_METHOD_NOT_ALLOWED', DualLiteral<405>, { allow: DualArray<DualString> }>
    FST_TIER_REQUIRED: ErrorBodySchema<'FST_TIER_REQUIRED', TierStatus, {
      requiredTier: DualOptional<DualString>
      upgradeUrl: DualOptional<DualString>
    }>
    FST_FEATURE_DISABLED: ErrorBodySchema<'FST_FEATURE_DISABLED', DualLiteral<501>, { feature: DualString }>
    FST_ENDPOINT_NOT_IMPLEMENTED: ErrorBodySchema<'FST_ENDPOINT_NOT_IMPLEMENTED', DualLiteral<501>>
    FST_TIER_UNAVAILABLE: ErrorBodySchema<'FST_TIER_UNAVAILABLE', DualLiteral<503>>
    FST_VERSION_NOT_IMPLEMENTED: ErrorBodySchema<'FST_VERSION_NOT_IMPLEMENTED', VersionStatus, { version: DualString }>
    FST_ENDPOINT_GONE: ErrorBodySchema<'FST_ENDPOINT_GONE', DualLiteral<410>>
  }

  type TierStatus = DualUnion<[DualLiteral<501>, DualLiteral<402>, DualLiteral<403>]>
  type VersionStatus = DualUnion<[DualLiteral<501>, DualLiteral<406>, DualLiteral<404>]>

  /** The `$id` under which the plugin registers the problem schema of a code, with `problemDetails`. */
  export type ProblemSchemaId<Code extends ErrorCode> = `fastify-not-implemented/problem/${Code}`

  /** The TypeBox schema of one body in problem form: RFC 9457's members, the code and the outcome's own fields. */
  export type ProblemBodySchema<
    Code extends ErrorCode,
    Status extends DualSchema,
    Extra extends Record<string, DualSchema> = Record<never, never>
  > = DualObject<{
    type: DualString
    title: DualString
    status: Status
    detail: DualString
    code: DualLiteral<Code>
  } & Extra> & { $id: ProblemSchemaId<Code>, title: `${Code}.problem` }

  export interface NotImplementedProblemSchemas {
    FST_METHOD_NOT_IMPLEMENTED: ProblemBodySchema<'FST_METHOD_NOT_IMPLEMENTED', DualLiteral<501>>
    FST_METHOD_NOT_ALLOWED: ProblemBodySchema<'FST_METHOD_NOT_ALLOWED', DualLiteral<405>, { allow: DualArray<DualString> }>
    FST_TIER_REQUIRED: ProblemBodySchema<'FST_TIER_REQUIRED', TierStatus, {
      requiredTier: DualOptional<DualString>
      upgradeUrl: DualOptional<DualString>
    }>
    FST_FEATURE_DISABLED: ProblemBodySchema<'FST_FEATURE_DISABLED', DualLiteral<501>, { feature: DualString }>
    FST_ENDPOINT_NOT_IMPLEMENTED: ProblemBodySchema<'FST_ENDPOINT_NOT_IMPLEMENTED', DualLiteral<501>>
    FST_TIER_UNAVAILABLE: ProblemBodySchema<'FST_TIER_UNAVAILABLE', DualLiteral<503>>
    FST_VERSION_NOT_IMPLEMENTED: ProblemBodySchema<'FST_VERSION_NOT_IMPLEMENTED', VersionStatus, { version: DualString }>
    FST_ENDPOINT_GONE: ProblemBodySchema<'FST_ENDPOINT_GONE', DualLiteral<410>>
  }

  /**
   * The part of an OpenFeature server SDK client that `openFeatureFlags` uses (written out here
   * so that the SDK stays an optional dependency).
   */
  export interface OpenFeatureClientLike {
    getBooleanDetails (flagKey: string, defaultValue: boolean, context?: Record<string, unknown>): Promise<{
      value: boolean
      errorCode?: string
      errorMessage?: string
    }>
  }

  export interface OpenFeatureFlagsOptions {
    /** Builds the evaluation context of a request (targeting key, plan, region, ...). */
    context?: (request: FastifyRequest) => Record<string, unknown>
  }

  /** For `Fastify({ clientErrorHandler })`: 501 for method tokens Node's parser refuses. */
  export const clientErrorHandler: (this: FastifyInstance, err: Error, socket: Socket) => void
  /** One constructor per code, for `instanceof` in an app's error handler. */
  export const errors: NotImplementedErrors
  /** TypeBox schemas of every body, registered with `addSchema` under `fastify-not-implemented/<code>`. */
  export const schemas: NotImplementedSchemas
  /**
   * TypeBox schemas of every body in problem form, registered with `addSchema` under
   * `fastify-not-implemented/problem/<code>` when `problemDetails` is on.
   */
  export const problemSchemas: NotImplementedProblemSchemas
  /**
   * Turns an OpenFeature client into `isFeatureEnabled`. A flag the provider does not know is
   * off; a provider that cannot answer (not ready, fatal) makes gated routes answer 503.
   */
  export function openFeatureFlags (client: OpenFeatureClientLike, options?: OpenFeatureFlagsOptions): IsFeatureEnabled

  /** The message on the `fastify-not-implemented:decision` diagnostics channel: one per answer the plugin makes. */
  export interface DecisionMessage {
    /** Fastify's request; `null` for the 501 to a method no router knows (the `clientErrorHandler`'s, or one over HTTP/2), made before Fastify made a request. */
    request: FastifyRequest | null
    /** The outcome: an error code, or `OPTIONS` for the 204 answer. */
    code: Outcome
    statusCode: number
    method: string
    /** The matched route's URL template; `null` on the not-found path. */
    route: string | null
    tierRequired?: string
    tierHeld?: string | null
    feature?: string
  }

  /** The message on the `fastify-not-implemented:resolver` channel: one per call of `resolveTier` or `isFeatureEnabled`. */
  export interface ResolverCallMessage {
    request: FastifyRequest
    source: 'resolveTier' | 'isFeatureEnabled'
    route: string
    /** Milliseconds from the call to its answer, its failure or the timeout. */
    duration: number
    outcome: 'answered' | 'failed' | 'timed out'
  }

  /** The names of the plugin's diagnostics channels. */
  export const diagnosticsChannels: {
    readonly decision: 'fastify-not-implemented:decision'
    readonly resolver: 'fastify-not-implemented:resolver'
  }

  /** The part of an OpenTelemetry `Meter` (@opentelemetry/api) that `openTelemetryMetrics` uses. */
  export interface MeterLike {
    createCounter (name: string, options?: { description?: string, unit?: string }): { add (value: number, attributes?: Record<string, string | number>): void }
    createHistogram (name: string, options?: { description?: string, unit?: string, advice?: { explicitBucketBoundaries?: number[] } }): { record (value: number, attributes?: Record<string, string | number>): void }
  }

  /**
   * Records the plugin's decisions on `meter`: the counter `fastify_not_implemented.answers`
   * (attributes `code`, `http.request.method`, `http.response.status_code`, `http.route`) and
   * the histogram `fastify_not_implemented.resolver.duration` (seconds). Returns the function
   * that stops recording.
   */
  export function openTelemetryMetrics (meter: MeterLike): () => void

  export const notImplemented: FastifyNotImplemented
  export const fastifyNotImplemented: FastifyNotImplemented
  export { fastifyNotImplemented as default }
}

declare function fastifyNotImplemented (...params: Parameters<FastifyNotImplementedPlugin>): ReturnType<FastifyNotImplementedPlugin>

export = fastifyNotImplemented
