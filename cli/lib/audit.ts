import { unescape } from 'node:querystring'
import type { CapabilityMatrix, CapabilityMethod } from 'fastify-not-implemented'
import { X_FEATURE, X_GONE, X_NOT_IMPLEMENTED, X_SUNSET, X_TIER } from './extensions'
import type { App } from './load-app'
import type { Spec, SpecOperation } from './spec'
import { formatTable, type Cell, type Style } from './style'

// The shape of `audit --json`: the report as values, never as the text a person reads
// (tiers and features as plain strings, `allow` as a list of methods, statuses as numbers).
//
// {
//   "spec": { "file": "openapi.yaml", "version": "3.1.0", "title": "Pets", "operations": 7 },
//   "missing": [
//     { "method": "PUT", "path": "/pets/{petId}", "status": 405, "code": "FST_METHOD_NOT_ALLOWED", "allow": ["GET", "HEAD", "OPTIONS"] },
//     { "method": "GET", "path": "/pets/mine", "answeredBy": { "route": "/pets/:petId", "catchAll": false } }
//   ],
//   "undocumented": [{ "method": "GET", "path": "/health", "implemented": true }],
//   "disagreements": [
//     { "method": "GET", "path": "/reports", "field": "x-tier", "spec": "plus", "app": ["pro"] },
//     { "method": "POST", "path": "/built", "field": "x-not-implemented", "spec": true, "app": false }
//   ],
//   "lifecycle": [{ "method": "GET", "path": "/v1/orders", "spec": "live", "app": "retired" }],
//   "drift": 5
// }
export interface AuditJson extends AuditReport {
  // How many differences: missing, undocumented and disagreements together. 0: exit 0.
  drift: number
}

export interface AuditReport {
  spec: { file: string, version: string, title: string, operations: number }
  missing: Missing[]
  undocumented: Undocumented[]
  disagreements: Disagreement[]
  lifecycle: LifecycleDrift[]
}

// Where an operation is in its life:
// - in the app (capabilities()): `retired` when every route of the method is gone (`gone:
//   true`, or past its sunset: it answers 410), `deprecated` when one has `deprecation`;
// - in the spec: `retired` when the operation says `x-gone: true`, or `deprecated: true` with
//   an `x-sunset` that has passed, or documents no response but a 410; `deprecated` when it
//   says `deprecated: true`; `live` otherwise.
export type LifeStage = 'live' | 'deprecated' | 'retired'

// An operation the spec and the app place at different stages: a spec that lists as live an
// operation the app has retired, an app that still serves one the spec retired or deprecated.
export interface LifecycleDrift {
  method: string
  path: string
  spec: LifeStage
  app: LifeStage
}

// An operation of the spec the app does not implement, and what a client gets instead.
// `path` is the spec's template under the base path where it was looked for.
export interface Missing {
  method: string
  path: string
  // No route answers the operation's URL: what the app answers there, asked with `inject`.
  status?: number
  code?: string
  // The methods of the 405's `Allow` header, in its order.
  allow?: string[]
  // A route answers the operation's URL without implementing it (a parameter that takes a
  // literal segment of the spec, or a catch-all): the app's own handler would run there, so
  // it is not asked. `route` is that route's template, null when the capability matrix does
  // not list it; `catchAll` is true when it answers every path of the app.
  answeredBy?: { route: string | null, catchAll: boolean }
}

// A method the app answers that no operation of the spec describes.
export interface Undocumented {
  method: string
  path: string
  implemented: boolean
  tier?: string
  feature?: string
}

// An annotation of the spec that says something else than the app's routes. `spec` is the
// operation's value (null: the operation has none); for `x-tier` and `x-feature`, `app`
// holds every value among the method's routes (null: a route without one), one per value,
// in the matrix's order; for `x-not-implemented`, the app builds the method: `false`.
export type Disagreement = {
  method: string
  path: string
} & ({
  field: typeof X_TIER | typeof X_FEATURE
  spec: string | null
  app: Array<string | null>
} | {
  field: typeof X_NOT_IMPLEMENTED
  spec: true
  app: false
})

type Params = Record<string, string | undefined>

// Which route implements which operation. The paths correspond piece by piece:
// - a literal of the spec (`findByTags`, `batch:run`, the `.json` of `{name}.json`) is
//   matched only by the same literal in the route (Fastify's `::` is a literal colon), never
//   by a parameter: the router sends `/pet/findByTags` to `/pet/:petId`, and that route
//   does not implement the operation `findByTags`;
// - a parameter of the spec (`{petId}`) is matched only by a parameter of the route, of any
//   name, with or without a regex (`:id`, `:id(^\d+$)`): `/users/me` does not implement
//   `/users/{id}`;
// - a wildcard at the end of the route (`/files/*`) matches the rest of the spec's path
//   when that rest is parameters and slashes only (`/files/{path}`, `/files/{dir}/{name}`);
// - a root catch-all (`*`, `/*`) implements nothing: it answers every path.
// Where the two are written apart and mean the same (an app that routes case-insensitively
// or ignores a trailing slash; a route the capability matrix does not list, such as the
// capability route), the router decides: the operation's URL, built from the spec's sample
// values, is implemented by the route the router sends it to when that route's parameters
// captured the samples, one each and in order, and nothing else; every literal of the spec
// was then matched by a literal of the route.

// `/pets/{petId}` and `/pets/:id` both become `/pets/{}`: parameter names do not matter.
export function specShape (template: string): string {
  return template.replace(/\{[^{}]*\}/g, '{}')
}

// The end of a parameter's `(regex)`, read as find-my-way reads it: nested and escaped
// parentheses included.
function closingParenthesis (path: string, open: number): number {
  let depth = 0
  let i = open
  for (; i < path.length; i++) {
    if (path[i] === '\\') i++
    else if (path[i] === '(') depth++
    else if (path[i] === ')' && --depth === 0) break
  }
  return i
}

interface RouteParts {
  // The path with each parameter as `{}`; a wildcard stays `*`.
  shape: string
  // The names the router gives the captures, in order: a wildcard's is `*`.
  names: string[]
}

// Fastify's `::` is a literal colon; `:name` and `:name(regex)` are parameters, whose name
// ends at `/`, `-`, `.` or the regex.
function routeParts (path: string): RouteParts {
  let shape = ''
  const names: string[] = []
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '*') names.push('*')
    if (path[i] !== ':') {
      shape += path[i]
    } else if (path[i + 1] === ':') {
      shape += ':'
      i++
    } else {
      let end = i + 1
      while (end < path.length && !'/-.('.includes(path[end])) end++
      names.push(path.slice(i + 1, end))
      if (path[end] === '(') end = closingParenthesis(path, end) + 1
      shape += '{}'
      i = end - 1
    }
  }
  return { shape, names }
}

export function routeShape (path: string): string {
  return routeParts(path).shape
}

function isRootCatchAll (path: string): boolean {
  return path === '*' || path === '/*'
}

// The rule above, on the two paths as written (the spec's under its base path).
export function corresponds (specPath: string, routePath: string): boolean {
  if (isRootCatchAll(routePath)) return false
  const spec = specShape(specPath)
  const route = routeShape(routePath)
  if (spec === route) return true
  if (!route.endsWith('*')) return false
  const prefix = route.slice(0, -1)
  if (!spec.startsWith(prefix)) return false
  const rest = spec.slice(prefix.length)
  return rest.includes('{}') && rest.replace(/\{\}|\//g, '') === ''
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

// The concrete paths a route pattern may serve, to name the route the router sent a URL to.
// Looser than the router (any case, a trailing slash): it only picks among routes whose
// captures have the names the router gave.
// Each parameter of the route, a group of its own, in the order of the route's names.
// A literal character of the route matches itself or its percent-encoding: the route
// `/discounts/50%` serves the URL `/discounts/50%25`.
function routePattern (path: string): RegExp {
  const source = routeShape(path).split(/(\{\}|\*)/).map((part) => {
    if (part === '{}') return '([^/]+)'
    if (part === '*') return '(.*)'
    return [...part].map((char) => {
      const encoded = encodeURIComponent(char)
      return encoded === char ? escapeRegExp(char) : `(?:${escapeRegExp(char)}|${encoded})`
    }).join('')
  }).join('')
  return new RegExp(`^${source}/?$`, 'i')
}

function concretePath (operation: SpecOperation, base: string): string {
  // A valid spec declares every parameter of its path templates: each has a sample.
  return base + operation.template.replace(/\{([^{}]*)\}/g, (_, name: string) => encodeURIComponent(operation.samples[name]))
}

// A URL the router cannot decode (a `%` not followed by two hex digits, such as the spec's
// `/discounts/50%`) reaches no route: Fastify answers it 400, whatever the app's routes.
function decodes (url: string): boolean {
  try {
    url.split('/').forEach((segment) => decodeURIComponent(segment))
    return true
  } catch {
    return false
  }
}

// A root catch-all (`*`, `/*`) answers any path: matching it is not implementing an operation.
function isWholePathCapture (params: Params, path: string): boolean {
  const keys = Object.keys(params)
  return keys.length === 1 && keys[0] === '*' && (params['*'] === path || '/' + params['*'] === path)
}

// The router's captures are the spec's samples, one each, in order: no parameter of the
// route took a literal of the spec.
function capturesSamples (params: Params, operation: SpecOperation): boolean {
  const names = [...operation.template.matchAll(/\{([^{}]*)\}/g)].map((match) => match[1])
  const values = Object.values(params)
  return values.length === names.length && names.every((name, i) => values[i] === operation.samples[name])
}

interface AppMethod {
  path: string
  method: string
  entries: CapabilityMethod[]
}

function appMethods (matrix: CapabilityMatrix): AppMethod[] {
  const list: AppMethod[] = []
  for (const route of matrix.routes) {
    const byMethod = new Map<string, CapabilityMethod[]>()
    for (const entry of route.methods) {
      const entries = byMethod.get(entry.method)
      if (entries === undefined) byMethod.set(entry.method, [entry])
      else entries.push(entry)
    }
    for (const [method, entries] of byMethod) list.push({ path: route.path, method, entries })
  }
  return list
}

// The listed route the router sent `url` to, with `params`; undefined for a route the
// capability matrix does not list.
// Of the routes with the parameters the router bound, the one that binds them to the same
// values: `/*` and `/files/*` both match /files/readme.txt, and only one captures `readme.txt`.
function routedTo (methods: readonly AppMethod[], method: string, url: string, params: Params): AppMethod | undefined {
  const path = url.replace(/\/{2,}/g, '/')
  const keys = Object.keys(params)
  const values = Object.values(params)
  return methods.find((candidate) => {
    if (candidate.method !== method || routeParts(candidate.path).names.join('/') !== keys.join('/')) return false
    const match = routePattern(candidate.path).exec(path)
    return match !== null && match.slice(1).every((captured, i) => unescape(captured) === values[i])
  })
}

function compareAnnotation (found: AppMethod, operation: SpecOperation, path: string, out: Disagreement[]): void {
  const checks: Array<[typeof X_TIER | typeof X_FEATURE, 'tier' | 'feature']> = [[X_TIER, 'tier'], [X_FEATURE, 'feature']]
  for (const [field, key] of checks) {
    const value = operation.operation[field]
    const spec = typeof value === 'string' ? value : null
    const app = [...new Set(found.entries.map((entry) => entry[key] ?? null))]
    if (app.length === 1 && app[0] === spec) continue
    out.push({ method: operation.method, path, field, spec, app })
  }
  const unbuilt = operation.operation[X_NOT_IMPLEMENTED] === true
  if (unbuilt && found.entries.some((entry) => entry.implemented)) {
    out.push({ method: operation.method, path, field: X_NOT_IMPLEMENTED, spec: true, app: false })
  }
}

function specStage (operation: Record<string, unknown>, now: number): LifeStage {
  // Object(): an operation without responses has none.
  const statuses = Object.keys(Object(operation.responses))
  if (operation[X_GONE] === true || (statuses.length > 0 && statuses.every((status) => status === '410'))) return 'retired'
  if (operation.deprecated !== true) return 'live'
  const sunset = operation[X_SUNSET]
  // An x-sunset that is no date says nothing about when: the operation is deprecated.
  const time = typeof sunset === 'string' ? Date.parse(sunset) : Number.NaN
  return time <= now ? 'retired' : 'deprecated'
}

function appStage (entries: readonly CapabilityMethod[]): LifeStage {
  if (entries.every((entry) => entry.gone === true)) return 'retired'
  return entries.some((entry) => entry.deprecation !== undefined) ? 'deprecated' : 'live'
}

async function outcomeOf (app: App, method: string, url: string): Promise<Pick<Missing, 'status' | 'code' | 'allow'>> {
  const response = await app.inject({ method: method as 'GET', url })
  const outcome: Pick<Missing, 'status' | 'code' | 'allow'> = { status: response.statusCode }
  try {
    const body = JSON.parse(response.body) as Record<string, unknown>
    if (typeof body.code === 'string') outcome.code = body.code
  } catch {}
  const allow = response.headers.allow
  if (typeof allow === 'string') outcome.allow = allow.split(',').map((item) => item.trim()).filter((item) => item !== '')
  return outcome
}

// Diffs the spec's operations against the app's capability matrix. Operations the app
// lacks are asked of the app itself (`inject`) to tell what a client gets: 404, 405, 501;
// never where a route answers, since the app's own handler would run.
export async function audit (app: App, matrix: CapabilityMatrix, spec: Spec, onProgress: (done: number, total: number) => void): Promise<AuditReport> {
  // The spec's sunsets are compared with this moment; the app's with the app's own clock.
  const now = Date.now()
  const methods = appMethods(matrix)
  const covered = new Set<AppMethod>()
  const report: AuditReport = {
    spec: { file: spec.file, version: spec.version, title: spec.title, operations: spec.operations.length },
    missing: [],
    undocumented: [],
    disagreements: [],
    lifecycle: []
  }

  let done = 0
  for (const operation of spec.operations) {
    onProgress(done++, spec.operations.length)
    let found: AppMethod | undefined
    // The operation is shown, and asked of the app, under the base path where its route is
    // (or where a route answers it); under the first one when there is none.
    let where = operation.bases[0]
    for (const base of operation.bases) {
      // The literal `%` of a spec path matches the same literal of a route, yet no client
      // reaches either: the operation is missing, with the 400 a client gets.
      if (!decodes(concretePath(operation, base))) continue
      found = methods.find((candidate) => candidate.method === operation.method && corresponds(base + operation.template, candidate.path))
      if (found === undefined) continue
      where = base
      break
    }
    let implemented = found !== undefined
    let answeredBy: Missing['answeredBy']
    if (!implemented) {
      // The router may still send the operation to a route that implements it, written
      // another way or not listed; or to one that answers without implementing it.
      for (const base of operation.bases) {
        const concrete = concretePath(operation, base)
        if (!decodes(concrete)) continue
        const hit = app.findRoute({ method: operation.method as 'GET', url: concrete })
        // The router answers a URL it refuses (one it cannot decode, a parameter longer than
        // maxParamLength) with a handler of its own, no route: it has no searchParams.
        if (hit === null || (hit.searchParams as unknown) === undefined) continue
        const params = hit.params as Params
        const listed = routedTo(methods, operation.method, concrete, params)
        const catchAll = isWholePathCapture(params, concrete)
        if (!catchAll && capturesSamples(params, operation)) {
          implemented = true
          found = listed
          where = base
          break
        }
        if (answeredBy !== undefined) continue
        answeredBy = { route: listed === undefined ? null : listed.path, catchAll }
        where = base
      }
    }
    if (found !== undefined) covered.add(found)
    const shown = where + operation.template

    if (!implemented) {
      const missing: Missing = { method: operation.method, path: shown }
      if (answeredBy !== undefined) missing.answeredBy = answeredBy
      else Object.assign(missing, await outcomeOf(app, operation.method, concretePath(operation, where)))
      report.missing.push(missing)
      continue
    }
    if (found === undefined) continue
    const unbuilt = found.entries.every((entry) => !entry.implemented)
    if (unbuilt && operation.operation[X_NOT_IMPLEMENTED] !== true) {
      report.missing.push({ method: operation.method, path: shown, ...await outcomeOf(app, operation.method, concretePath(operation, where)) })
    }
    compareAnnotation(found, operation, shown, report.disagreements)
    // An endpoint not built yet has no life cycle to compare: it is missing, or declared.
    const stages = { spec: specStage(operation.operation, now), app: appStage(found.entries) }
    if (!unbuilt && stages.spec !== stages.app) report.lifecycle.push({ method: operation.method, path: shown, ...stages })
  }
  onProgress(done, spec.operations.length)

  for (const found of methods) {
    // Fastify derives HEAD from GET and the plugin answers OPTIONS: contracts rarely list them.
    if (covered.has(found) || found.method === 'HEAD' || found.method === 'OPTIONS') continue
    if (found.entries.every((entry) => entry.hidden === true)) continue
    // A retired operation leaves the spec: the app answering it 410 is no drift.
    if (appStage(found.entries) === 'retired') continue
    const first = found.entries[0]
    const item: Undocumented = { method: found.method, path: found.path, implemented: found.entries.some((entry) => entry.implemented) }
    if (first.tier !== undefined) item.tier = first.tier
    if (first.feature !== undefined) item.feature = first.feature
    report.undocumented.push(item)
  }
  return report
}

export function driftOf (report: AuditReport): number {
  return report.missing.length + report.undocumented.length + report.disagreements.length + report.lifecycle.length
}

function outcomeText (missing: Missing): string {
  const { answeredBy } = missing
  if (answeredBy !== undefined) {
    if (answeredBy.catchAll) return 'answered by a catch-all route'
    return answeredBy.route === null ? 'answered by a route the capability matrix does not list' : `answered by the route ${answeredBy.route}`
  }
  const parts = [String(missing.status)]
  if (missing.code !== undefined) parts.push(missing.code)
  else if (missing.status === 404) parts.push('Not Found')
  let text = parts.join(' ')
  if (missing.allow !== undefined) text += ` (Allow: ${missing.allow.join(', ')})`
  return text
}

function describeValue (value: string | boolean | null): string {
  return typeof value === 'string' ? `"${value}"` : value === null ? '(none)' : String(value)
}

// How a person reads a disagreement: `x-tier: spec "plus", app "pro", (none)`.
function disagreementText (d: Disagreement): string {
  const app = d.field === X_NOT_IMPLEMENTED ? 'implemented' : d.app.map(describeValue).join(', ')
  return `${d.field}: spec ${describeValue(d.spec)}, app ${app}`
}

export function auditJson (report: AuditReport): AuditJson {
  return { ...report, drift: driftOf(report) }
}

function section (title: string, rows: Cell[][], style: Style): string {
  return `${style.bold(`${title} (${rows.length}):`)}\n${formatTable(rows, '  ')}\n`
}

export function formatAudit (report: AuditReport, appName: string, style: Style): string {
  const { spec } = report
  const title = spec.title === '' ? '' : ` "${spec.title}"`
  const format = spec.version.startsWith('2.') ? 'Swagger' : 'OpenAPI'
  let out = `${style.bold('audit')} of ${appName} against ${spec.file} (${format} ${spec.version}${title}, ${spec.operations} ${spec.operations === 1 ? 'operation' : 'operations'})\n\n`
  if (report.missing.length > 0) {
    out += section('In the spec, not implemented by the app', report.missing.map((m) => [m.method, m.path, { text: outcomeText(m), paint: style.red }]), style) + '\n'
  }
  if (report.undocumented.length > 0) {
    out += section('Implemented by the app, not in the spec', report.undocumented.map((u) => {
      const gates = [u.implemented ? '' : 'not built', u.tier === undefined ? '' : `tier ${u.tier}`, u.feature === undefined ? '' : `feature ${u.feature}`]
      return [u.method, u.path, { text: gates.filter((g) => g !== '').join(', '), paint: style.dim }]
    }), style) + '\n'
  }
  if (report.disagreements.length > 0) {
    out += section('Annotations that disagree', report.disagreements.map((d) => [d.method, d.path, disagreementText(d)]), style) + '\n'
  }
  if (report.lifecycle.length > 0) {
    out += section('Life cycle that disagrees', report.lifecycle.map((l) => [l.method, l.path, `spec ${l.spec}, app ${l.app}`]), style) + '\n'
  }
  const drift = driftOf(report)
  if (drift === 0) {
    out += style.green(`no drift: the app implements the ${spec.operations} ${spec.operations === 1 ? 'operation' : 'operations'} of the spec, as annotated, and no others`) + '\n'
  } else {
    out += style.red(`drift: ${drift} ${drift === 1 ? 'difference' : 'differences'}`) + '\n'
  }
  return out
}
