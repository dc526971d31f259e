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
  }

  interface FastifyInstance {
    /**
     * Declares an endpoint that is part of the API but not built yet: no handler, it answers
     * 501 FST_ENDPOINT_NOT_IMPLEMENTED, and it counts for `Allow` like any other route.
     */
    declareRoute (options: Omit<RouteOptions, 'handler'>): this
    /** Every route the plugin has seen, with its methods, tier, feature and versions. */
    capabilities (): fastifyNotImplemented.CapabilityMatrix
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

  /** Every kind of response the plugin makes: an error code, or `OPTIONS` for its 204. */
  export type Outcome = ErrorCode | 'OPTIONS'

  export type ResolveTier = (request: FastifyRequest) =>
    TierName | undefined | null | Promise<TierName | undefined | null>

  export type IsFeatureEnabled = (feature: string, request: FastifyRequest) => boolean | Promise<boolean>

  export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

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
    /** Register `schemas` with `addSchema` (under `fastify-not-implemented/<CODE>`), so that routes can `$ref` them. Default `false`: every shared schema costs start-up time on every route with a response schema. */
    sharedSchemas?: boolean
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
  }

  export interface NotImplementedErrors {
    FST_METHOD_NOT_IMPLEMENTED: FastifyErrorConstructor<{ code: 'FST_METHOD_NOT_IMPLEMENTED', statusCode: 501 } & NotImplementedErrorFields>
    FST_METHOD_NOT_ALLOWED: FastifyErrorConstructor<{ code: 'FST_METHOD_NOT_ALLOWED', statusCode: 405, allow?: string[] } & NotImplementedErrorFields>
    /** 501 unless the plugin's `tierRequiredStatus` says 402 or 403. */
    FST_TIER_REQUIRED: FastifyErrorConstructor<{ code: 'FST_TIER_REQUIRED', statusCode: 501 | 402 | 403, requiredTier?: string } & NotImplementedErrorFields>
    FST_FEATURE_DISABLED: FastifyErrorConstructor<{ code: 'FST_FEATURE_DISABLED', statusCode: 501, feature?: string } & NotImplementedErrorFields>
    FST_ENDPOINT_NOT_IMPLEMENTED: FastifyErrorConstructor<{ code: 'FST_ENDPOINT_NOT_IMPLEMENTED', statusCode: 501 } & NotImplementedErrorFields>
    FST_TIER_UNAVAILABLE: FastifyErrorConstructor<{ code: 'FST_TIER_UNAVAILABLE', statusCode: 503 } & NotImplementedErrorFields>
    FST_VERSION_NOT_IMPLEMENTED: FastifyErrorConstructor<{ code: 'FST_VERSION_NOT_IMPLEMENTED', statusCode: 501, version?: string } & NotImplementedErrorFields>
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
    FST_TIER_REQUIRED: ErrorBodySchema<'FST_TIER_REQUIRED', DualUnion<[DualLiteral<501>, DualLiteral<402>, DualLiteral<403>]>, {
      requiredTier: DualOptional<DualString>
    }>
    FST_FEATURE_DISABLED: ErrorBodySchema<'FST_FEATURE_DISABLED', DualLiteral<501>, { feature: DualString }>
    FST_ENDPOINT_NOT_IMPLEMENTED: ErrorBodySchema<'FST_ENDPOINT_NOT_IMPLEMENTED', DualLiteral<501>>
    FST_TIER_UNAVAILABLE: ErrorBodySchema<'FST_TIER_UNAVAILABLE', DualLiteral<503>>
    FST_VERSION_NOT_IMPLEMENTED: ErrorBodySchema<'FST_VERSION_NOT_IMPLEMENTED', DualLiteral<501>, { version: DualString }>
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
   * Turns an OpenFeature client into `isFeatureEnabled`. A flag the provider does not know is
   * off; a provider that cannot answer (not ready, fatal) makes gated routes answer 503.
   */
  export function openFeatureFlags (client: OpenFeatureClientLike, options?: OpenFeatureFlagsOptions): IsFeatureEnabled

  /** The message on the `fastify-not-implemented:decision` diagnostics channel: one per answer the plugin makes. */
  export interface DecisionMessage {
    /** Fastify's request; `null` for the `clientErrorHandler`'s 501, made before Fastify saw a request. */
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
