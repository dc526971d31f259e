import { Type, type TSchema } from '@sinclair/typebox'
import {
  METHOD_NOT_IMPLEMENTED,
  METHOD_NOT_ALLOWED,
  TIER_REQUIRED,
  FEATURE_DISABLED,
  ENDPOINT_NOT_IMPLEMENTED,
  TIER_UNAVAILABLE,
  VERSION_NOT_IMPLEMENTED
} from './codes'

// The `$id`s under which the plugin registers these with `addSchema`, so that a route or
// an OpenAPI document can `$ref` them: `{ $ref: 'fastify-not-implemented/FST_TIER_REQUIRED#' }`.
export const SCHEMA_ID_PREFIX = 'fastify-not-implemented/'

function errorBody<P extends Record<string, TSchema>> (code: string, statusCode: readonly number[], extra: P) {
  const status = statusCode.length === 1
    ? Type.Literal(statusCode[0])
    : Type.Union(statusCode.map((s) => Type.Literal(s)))
  return Type.Object({
    statusCode: status,
    code: Type.Literal(code),
    error: Type.String(),
    message: Type.String(),
    ...extra
  }, { $id: SCHEMA_ID_PREFIX + code, title: code })
}

export const schemas = {
  [METHOD_NOT_IMPLEMENTED]: errorBody(METHOD_NOT_IMPLEMENTED, [501], {}),
  [METHOD_NOT_ALLOWED]: errorBody(METHOD_NOT_ALLOWED, [405], {
    allow: Type.Array(Type.String(), { description: 'The methods that answer at this path, as in the Allow header' })
  }),
  [TIER_REQUIRED]: errorBody(TIER_REQUIRED, [501, 402, 403], {
    requiredTier: Type.Optional(Type.String({ description: 'The lowest plan that has this endpoint' }))
  }),
  [FEATURE_DISABLED]: errorBody(FEATURE_DISABLED, [501], {
    feature: Type.String({ description: 'The feature flag that is off for this caller' })
  }),
  [ENDPOINT_NOT_IMPLEMENTED]: errorBody(ENDPOINT_NOT_IMPLEMENTED, [501], {}),
  [TIER_UNAVAILABLE]: errorBody(TIER_UNAVAILABLE, [503], {}),
  [VERSION_NOT_IMPLEMENTED]: errorBody(VERSION_NOT_IMPLEMENTED, [501], {
    version: Type.String({ description: 'The Accept-Version the request asked for' })
  })
} as const
