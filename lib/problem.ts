import type { ErrorExtras, PluginError } from './errors'
import { errorCodes, errorOutcomes, extraFields, type ErrorCode } from './outcomes'

// RFC 9457 problem details: with the `problemDetails` option, every error answer of the
// plugin is `application/problem+json` with `{ type, title, status, detail, code }` and the
// outcome's own fields.

// What Fastify sends for a `+json` type set without a charset: the same here, so an answer
// rendered by the plugin and one an app renders with `reply.type()` carry the same header.
export const problemContentType = 'application/problem+json; charset=utf-8'

// The project's page with one section per problem type, so that a type dereferences to the
// documentation of its answer (RFC 9457 §3.1.1). The fragment is the section's anchor.
export const defaultTypeBase = 'https://github.com/fastify-not-implemented/fastify-not-implemented/blob/main/docs/problems.md#'

// The part of a type URI that names the code: `FST_METHOD_NOT_ALLOWED` -> `method-not-allowed`,
// the anchor GitHub gives a heading of that text.
export function problemSlug (code: ErrorCode): string {
  return code.replace(/^FST_/, '').toLowerCase().replaceAll('_', '-')
}

export interface ProblemType {
  type: string
  title: string
}

export type ProblemTypes = Readonly<Record<ErrorCode, ProblemType>>

// One type per code of the outcome table: the base with the code's slug appended as it is.
export function problemTypes (typeBase: string): ProblemTypes {
  return Object.freeze(Object.fromEntries(errorCodes.map((code) => [code, Object.freeze({
    type: typeBase + problemSlug(code),
    title: errorOutcomes[code].title
  })]))) as ProblemTypes
}

export interface ProblemDetails extends ErrorExtras {
  type: string
  title: string
  status: number
  detail: string
  code: ErrorCode
}

// The body of an answer in problem form: the error's status, message and code, and the
// outcome's own fields where the error has them.
export function problemOf (error: PluginError, problemType: ProblemType): ProblemDetails {
  const problem: ProblemDetails = {
    type: problemType.type,
    title: problemType.title,
    status: error.statusCode,
    detail: error.message,
    code: error.code
  }
  for (const field of extraFields) {
    const value = error[field as keyof ErrorExtras]
    if (value !== undefined) (problem as unknown as Record<string, unknown>)[field] = value
  }
  return problem
}
