import type { RouteOptions } from 'fastify'
import type { RouteGate } from './route-gate'
import type { Settings } from './options'
import { SCHEMA_ID_PREFIX } from './schemas'
import {
  ENDPOINT_NOT_IMPLEMENTED,
  FEATURE_DISABLED,
  TIER_REQUIRED,
  TIER_UNAVAILABLE,
  VERSION_NOT_IMPLEMENTED,
  type ErrorCode
} from './codes'

// The OpenAPI extensions the plugin adds to an operation, and the audit reads back.
export const X_TIER = 'x-tier'
export const X_FEATURE = 'x-feature'
export const X_NOT_IMPLEMENTED = 'x-not-implemented'

type JsonObject = Record<string, unknown>

interface Answer {
  code: ErrorCode
  description: string
}

// What the plugin can answer for one operation, by status code, and its extensions.
export interface OperationDoc {
  answers: Map<number, Answer[]>
  extensions: JsonObject
}

function isPlainObject (value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function addAnswer (answers: Map<number, Answer[]>, status: number, code: ErrorCode, description: string): void {
  const list = answers.get(status)
  if (list === undefined) answers.set(status, [{ code, description }])
  else list.push({ code, description })
}

// Only what the plugin can really answer for this operation: a 405 is the answer to an
// operation that does not exist, so no operation lists it.
export function describeOperation (gate: RouteGate | undefined, versioned: boolean, settings: Settings): OperationDoc | undefined {
  if (gate === undefined && !versioned) return undefined
  const answers = new Map<number, Answer[]>()
  const extensions: JsonObject = {}
  const tier = gate?.tier
  const feature = gate?.feature
  // With `exposeRequiredTier: false` the app keeps its plan names from clients: so does the document.
  const showTier = tier !== undefined && settings.exposeRequiredTier
  if (showTier) extensions[X_TIER] = tier
  if (feature !== undefined) extensions[X_FEATURE] = feature

  if (gate !== undefined && !gate.implemented) {
    // An unbuilt endpoint answers 501 before any gate is asked.
    extensions[X_NOT_IMPLEMENTED] = true
    addAnswer(answers, 501, ENDPOINT_NOT_IMPLEMENTED, 'Declared in the API, not implemented by this server')
  } else {
    if (tier !== undefined) {
      addAnswer(answers, settings.tierRequiredStatus, TIER_REQUIRED, showTier ? `Requires the "${tier}" plan or a higher one` : 'Not available on the caller\'s plan')
    }
    if (feature !== undefined) addAnswer(answers, 501, FEATURE_DISABLED, `Feature "${feature}" is off for the caller`)
    if (tier !== undefined || feature !== undefined) {
      addAnswer(answers, 503, TIER_UNAVAILABLE, 'The caller\'s plan or feature flags could not be determined; retry after Retry-After seconds')
    }
  }
  if (versioned) addAnswer(answers, 501, VERSION_NOT_IMPLEMENTED, 'The version asked for with Accept-Version is not implemented')
  return { answers, extensions }
}

function responseFor (status: number, answers: readonly Answer[]): JsonObject {
  const refs = answers.map(({ code }) => ({ $ref: `${SCHEMA_ID_PREFIX}${code}#` }))
  const description = answers.map(({ code, description }) => `${description} (${code})`).join('; or ')
  const response: JsonObject = answers.length === 1 ? { description, ...refs[0] } : { description, oneOf: refs }
  if (status === 503) {
    response.headers = { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying' } }
  }
  return response
}

// A copy of the route's schema with the plugin's responses and extensions added where the
// route does not define its own. The route's own schema object is never changed: it may be
// shared between routes, and Fastify has compiled it already.
export function documentedSchema (schema: unknown, doc: OperationDoc): JsonObject {
  const base = isPlainObject(schema) ? schema : {}
  // A route with no responses of its own is shown by @fastify/swagger with one bodiless
  // "200 Default Response": kept as it would be, beside the plugin's answers.
  const response: JsonObject = isPlainObject(base.response) ? { ...base.response } : { 200: { description: 'Default Response', type: 'null' } }
  for (const [status, answers] of doc.answers) {
    if (!Object.hasOwn(response, String(status))) response[status] = responseFor(status, answers)
  }
  const result: JsonObject = { ...base, response }
  for (const [key, value] of Object.entries(doc.extensions)) {
    if (!Object.hasOwn(result, key)) result[key] = value
  }
  return result
}

// @fastify/swagger keeps the route options objects it sees in `onRoute` and reads their
// `schema` when the document is generated, after `ready`. The plugin gives those same
// objects their documented schema once the app is ready: after Fastify has compiled the
// route's own schemas, so the added responses change the document and never how a reply is
// serialized, and whichever of the two plugins was registered first.
export class OpenApiAnnotations {
  private readonly pending: Array<{ route: RouteOptions, doc: OperationDoc }> = []

  constructor (private readonly settings: Settings) {}

  add (route: RouteOptions, gate: RouteGate | undefined): void {
    const versioned = typeof (route.constraints as JsonObject | undefined)?.version === 'string'
    const doc = describeOperation(gate, versioned, this.settings)
    if (doc !== undefined) this.pending.push({ route, doc })
  }

  apply (): void {
    for (const { route, doc } of this.pending) {
      route.schema = documentedSchema(route.schema, doc) as RouteOptions['schema']
    }
    this.pending.length = 0
  }
}
