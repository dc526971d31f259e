import { Type, type TSchema } from '@sinclair/typebox'
import { errorCodes, errorOutcomes, type ErrorCode } from './outcomes'

// The `$id`s under which the plugin registers these with `addSchema`, so that a route or
// an OpenAPI document can `$ref` them: `{ $ref: 'fastify-not-implemented/FST_TIER_REQUIRED#' }`.
export const SCHEMA_ID_PREFIX = 'fastify-not-implemented/'
// The same for the problem form (`problemDetails`), registered only when that option is on.
export const PROBLEM_SCHEMA_ID_PREFIX = 'fastify-not-implemented/problem/'

function statusOf (code: ErrorCode): TSchema {
  const { statuses } = errorOutcomes[code]
  return statuses.length === 1
    ? Type.Literal(statuses[0])
    : Type.Union(statuses.map((s) => Type.Literal(s)))
}

// Fastify's error shape, `{ statusCode, code, error, message }`, plus the outcome's fields.
function errorBody (code: ErrorCode): TSchema {
  return Type.Object({
    statusCode: statusOf(code),
    code: Type.Literal(code),
    error: Type.String(),
    message: Type.String(),
    ...errorOutcomes[code].fields
  }, { $id: SCHEMA_ID_PREFIX + code, title: code })
}

// RFC 9457's members, `{ type, title, status, detail }`, the code, and the outcome's fields.
// The type is a string: it depends on the app's `typeBase` (docs/problems.md lists them),
// and a `format` would make TypeBox's `Value.Check` refuse every body unless the app registers one.
function problemBody (code: ErrorCode): TSchema {
  return Type.Object({
    type: Type.String({ description: 'The problem type, a URI that differs per code' }),
    title: Type.String({ description: 'The problem type\'s title, the same for every answer of this code' }),
    status: statusOf(code),
    detail: Type.String({ description: 'This answer\'s explanation' }),
    code: Type.Literal(code),
    ...errorOutcomes[code].fields
  }, { $id: PROBLEM_SCHEMA_ID_PREFIX + code, title: `${code}.problem` })
}

// One TypeBox schema per code of the outcome table (their public types: types/index.d.ts).
export const schemas = Object.fromEntries(errorCodes.map((code) => [code, errorBody(code)])) as Record<ErrorCode, TSchema>
export const problemSchemas = Object.fromEntries(errorCodes.map((code) => [code, problemBody(code)])) as Record<ErrorCode, TSchema>
