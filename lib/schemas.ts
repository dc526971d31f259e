import { Type, type TSchema } from '@sinclair/typebox'
import { errorCodes, errorOutcomes, type ErrorCode } from './outcomes'

// The `$id`s under which the plugin registers these with `addSchema`, so that a route or
// an OpenAPI document can `$ref` them: `{ $ref: 'fastify-not-implemented/FST_TIER_REQUIRED#' }`.
export const SCHEMA_ID_PREFIX = 'fastify-not-implemented/'

// Fastify's error shape, `{ statusCode, code, error, message }`, plus the outcome's fields.
function errorBody (code: ErrorCode): TSchema {
  const { statuses, fields } = errorOutcomes[code]
  const status = statuses.length === 1
    ? Type.Literal(statuses[0])
    : Type.Union(statuses.map((s) => Type.Literal(s)))
  return Type.Object({
    statusCode: status,
    code: Type.Literal(code),
    error: Type.String(),
    message: Type.String(),
    ...fields
  }, { $id: SCHEMA_ID_PREFIX + code, title: code })
}

// One TypeBox schema per code of the outcome table (their public types: types/index.d.ts).
export const schemas = Object.fromEntries(errorCodes.map((code) => [code, errorBody(code)])) as Record<ErrorCode, TSchema>
