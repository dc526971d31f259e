import type { RouteOptions } from 'fastify'
import type { RouteGate } from './route-gate'
import type { Lifecycle } from './lifecycle'
import type { RouteRecord } from './route-catalog'
import type { Settings } from './options'
import { PROBLEM_SCHEMA_ID_PREFIX, SCHEMA_ID_PREFIX, problemSchemas, schemas } from './schemas'
import { problemContentType } from './problem'
import { errorOutcomes, type ErrorCode } from './outcomes'

// The OpenAPI extensions the plugin adds to an operation, and the audit reads back.
export const X_TIER = 'x-tier'
export const X_FEATURE = 'x-feature'
export const X_NOT_IMPLEMENTED = 'x-not-implemented'
// When a deprecated operation is retired (ISO 8601), and that it is retired already.
export const X_SUNSET = 'x-sunset'
export const X_GONE = 'x-gone'

type JsonObject = Record<string, unknown>

interface Answer {
  code: ErrorCode
  description: string
}

// What the plugin can answer for one operation, by status code, and its extensions.
export interface OperationDoc {
  answers: Map<number, Answer[]>
  extensions: JsonObject
  // Whether the bodies' schemas are registered, to be referred to by `$id`.
  shared: boolean
}

function isPlainObject (value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// The status and description come from the outcome table unless the route says more.
function addAnswer (answers: Map<number, Answer[]>, code: ErrorCode, status: number = errorOutcomes[code].status, description: string = errorOutcomes[code].description): void {
  const list = answers.get(status)
  if (list === undefined) answers.set(status, [{ code, description }])
  else list.push({ code, description })
}

// Only what the plugin can really answer for this operation: a 405 is the answer to an
// operation that does not exist, so no operation lists it. (Nor is an operation that asks
// nothing of the plugin, and is not versioned, described at all: see annotateRoutes.)
export function describeOperation (gate: RouteGate | undefined, versioned: boolean, settings: Settings, lifecycle: Lifecycle | undefined): OperationDoc {
  const answers = new Map<number, Answer[]>()
  const extensions: JsonObject = {}
  if (lifecycle !== undefined) describeLifecycle(lifecycle, answers, extensions)
  const tier = gate?.tier
  const feature = gate?.feature
  // With `exposeRequiredTier: false` the app keeps its plan names from clients: so does the
  // document. With `hideBelowTier` a caller below the tier gets the app's 404: the document
  // names neither the tier nor an answer the route never gives.
  const showTier = tier !== undefined && settings.exposeRequiredTier && !settings.hideBelowTier
  if (showTier) extensions[X_TIER] = tier
  if (feature !== undefined) extensions[X_FEATURE] = feature

  if (gate !== undefined && !gate.implemented) {
    // An unbuilt endpoint answers 501 before any gate is asked.
    extensions[X_NOT_IMPLEMENTED] = true
    addAnswer(answers, 'FST_ENDPOINT_NOT_IMPLEMENTED')
  } else if (lifecycle?.gone !== true) {
    // A retired endpoint answers 410 before any gate is asked.
    if (tier !== undefined && !settings.hideBelowTier) {
      addAnswer(answers, 'FST_TIER_REQUIRED', settings.tierRequiredStatus, showTier ? `Requires the "${tier}" plan or a higher one` : 'Not available on the caller\'s plan')
    }
    if (feature !== undefined) addAnswer(answers, 'FST_FEATURE_DISABLED', undefined, `Feature "${feature}" is off for the caller`)
    if (tier !== undefined || feature !== undefined) {
      addAnswer(answers, 'FST_TIER_UNAVAILABLE')
    }
  }
  if (versioned) addAnswer(answers, 'FST_VERSION_NOT_IMPLEMENTED', settings.versionNotImplementedStatus)
  return { answers, extensions, shared: settings.sharedSchemas }
}

// OpenAPI's own `deprecated` for a route on its way out or retired, when it goes (or went),
// and its 410: from the start for a retired route, from the sunset on for a deprecated one.
function describeLifecycle ({ gone, sunset }: Lifecycle, answers: Map<number, Answer[]>, extensions: JsonObject): void {
  extensions.deprecated = true
  if (sunset !== undefined) extensions[X_SUNSET] = new Date(sunset).toISOString()
  if (gone) {
    extensions[X_GONE] = true
    addAnswer(answers, 'FST_ENDPOINT_GONE')
  } else if (sunset !== undefined) {
    addAnswer(answers, 'FST_ENDPOINT_GONE', undefined, `Retired from its sunset (${new Date(sunset).toUTCString()}) on`)
  }
}

// The media type without Fastify's charset parameter, as OpenAPI documents name it.
const problemMediaType = problemContentType.split(';')[0]

// Each body by `$ref` where the plugin registered its schemas (`sharedSchemas: true`), else
// the schema itself, without the `$id` nothing resolves.
function bodySchema (code: ErrorCode, shared: boolean, problems: boolean): JsonObject {
  if (shared) return { $ref: `${problems ? PROBLEM_SCHEMA_ID_PREFIX : SCHEMA_ID_PREFIX}${code}#` }
  const { $id, ...inline } = (problems ? problemSchemas : schemas)[code]
  return inline
}

// With `problemDetails` the body is the problem form, under its own media type.
function responseFor (status: number, answers: readonly Answer[], shared: boolean, problems: boolean): JsonObject {
  const refs = answers.map(({ code }) => bodySchema(code, shared, problems))
  const description = answers.map(({ code, description }) => `${description} (${code})`).join('; or ')
  const schema = answers.length === 1 ? refs[0] : { oneOf: refs }
  const response: JsonObject = problems ? { description, content: { [problemMediaType]: { schema } } } : { description, ...schema }
  if (status === 503) {
    response.headers = { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying' } }
  }
  return response
}

// What the plugin adds to the schema of an operation, made once from its description: its
// responses by status (as property names), and its extensions.
export interface DocumentedAdditions {
  statuses: readonly string[]
  responses: readonly JsonObject[]
  extensions: ReadonlyArray<readonly [string, unknown]>
}

export function documentedAdditions (doc: OperationDoc, problems: boolean): DocumentedAdditions {
  const statuses: string[] = []
  const responses: JsonObject[] = []
  for (const [status, answers] of doc.answers) {
    statuses.push(String(status))
    responses.push(responseFor(status, answers, doc.shared, problems))
  }
  return { statuses, responses, extensions: Object.entries(doc.extensions) }
}

// An empty object for responses by status. Status codes are array indices to V8: a fresh
// object given a 200 and then a 503 gets room for some 770 elements (6 KB) and uses three,
// for every documented route. An object made with an element far out, deleted at once,
// keeps its elements in a dictionary: as many entries as statuses.
const farthestIndex = 4294967294
function statusTable (): JsonObject {
  const table: JsonObject = { [farthestIndex]: undefined }
  delete table[farthestIndex]
  return table
}

// A copy of the route's schema with the plugin's responses and extensions added where the
// route does not define its own. The route's own schema object is never changed: it may be
// shared between routes, and Fastify has compiled it already. Plain loops: this runs for
// every documented route at start-up.
export function documentedSchema (schema: unknown, added: DocumentedAdditions): JsonObject {
  const base = isPlainObject(schema) ? schema : {}
  // A route with no responses of its own is shown by @fastify/swagger with one bodiless
  // "200 Default Response": kept as it would be, beside the plugin's answers.
  const response = statusTable()
  if (isPlainObject(base.response)) Object.assign(response, base.response)
  else response[200] = { description: 'Default Response', type: 'null' }
  const { statuses, responses, extensions } = added
  for (let i = 0; i < statuses.length; i++) {
    if (!Object.hasOwn(response, statuses[i])) response[statuses[i]] = ownResponse(responses[i])
  }
  const result: JsonObject = { ...base, response }
  for (let i = 0; i < extensions.length; i++) {
    const [key, value] = extensions[i]
    if (!Object.hasOwn(result, key)) result[key] = value
  }
  return result
}

// A route's own copy of a response made once for its kind of operation: every object made for
// the route's answer (the response, its headers, its content, and the top of each body
// schema) is its own, so that whatever edits one route's document in place (a swagger
// `transform`, say) edits that route's alone, and a YAML document ties no routes with
// anchors. The members of a body schema (its properties) stay shared with the exported
// schemas, as every route's always were. By hand, level by level: a deep copy of the
// bodies, for every documented route, made start-up 3% slower (bench/README.md, pair 7).
// The object's own members, copied one by one: a spread of objects of many shapes takes
// V8's generic path, several times the cost of this loop.
function topOf (object: JsonObject): JsonObject {
  const copy: JsonObject = {}
  for (const key in object) copy[key] = object[key]
  return copy
}

function ownSchema (schema: JsonObject): JsonObject {
  const own = topOf(schema)
  if (Array.isArray(schema.oneOf)) own.oneOf = (schema.oneOf as JsonObject[]).map(topOf)
  return own
}

function ownResponse (response: JsonObject): JsonObject {
  const own = ownSchema(response)
  if (isPlainObject(response.headers)) {
    const headers: JsonObject = {}
    for (const name in response.headers) headers[name] = topOf(response.headers[name] as JsonObject)
    own.headers = headers
  }
  if (isPlainObject(response.content)) {
    const content: JsonObject = {}
    for (const type in response.content) {
      const media = topOf(response.content[type] as JsonObject)
      media.schema = ownSchema(media.schema as JsonObject)
      content[type] = media
    }
    own.content = content
  }
  return own
}

// What the plugin can answer depends only on these; the routes that share them share one
// description, and copies of its responses.
function operationKey (gate: RouteGate | undefined, versioned: boolean, lifecycle: Lifecycle | undefined): string {
  return JSON.stringify([gate?.implemented, gate?.tier, gate?.feature, versioned, lifecycle?.gone, lifecycle?.sunset])
}

// @fastify/swagger keeps the route options objects it sees in `onRoute` and reads their
// `schema` when the document is generated, after `ready`. The plugin gives those same
// objects their documented schema once the app is ready: after Fastify has compiled the
// route's own schemas, so the added responses change the document and never how a reply is
// serialized, and whichever of the two plugins was registered first.
// Each distinct operation is described once: thousands of gated routes ask the same few
// things, and describing each on its own was most of the plugin's cost at start-up
// (bench/README.md, pair 7). Each route's schema gets its own copy of the responses made for
// it.
export function annotateRoutes (records: readonly RouteRecord[], settings: Settings): void {
  const problems = settings.problemTypes !== undefined
  const documented = new Map<string, DocumentedAdditions>()
  for (let i = 0; i < records.length; i++) {
    const { route, gate, version, described, lifecycle } = records[i]
    const versioned = version !== undefined
    // A route that asks nothing of the plugin, and is not versioned, is left as it is.
    if (!described || (gate === undefined && !versioned && lifecycle === undefined)) continue
    const key = operationKey(gate, versioned, lifecycle)
    let added = documented.get(key)
    if (added === undefined) {
      added = documentedAdditions(describeOperation(gate, versioned, settings, lifecycle), problems)
      documented.set(key, added)
    }
    route.schema = documentedSchema(route.schema, added) as RouteOptions['schema']
  }
}
