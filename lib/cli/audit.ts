import type { CapabilityMatrix, CapabilityMethod } from '../capabilities'
import { X_FEATURE, X_NOT_IMPLEMENTED, X_TIER } from '../openapi'
import type { App } from './load-app'
import type { Spec, SpecOperation } from './spec'
import { formatTable, type Cell, type Style } from './style'

// An operation of the spec the app does not implement, and what a client gets instead.
export interface Missing {
  method: string
  path: string
  status?: number
  code?: string
  allow?: string
  // Why there is no status: a root catch-all route would run the app's own handler.
  note?: string
}

// A method the app answers that no operation of the spec describes.
export interface Undocumented {
  method: string
  path: string
  implemented: boolean
  tier?: string
  feature?: string
}

export interface Disagreement {
  method: string
  path: string
  field: string
  spec: string
  app: string
}

export interface AuditReport {
  spec: { file: string, version: string, title: string, operations: number }
  missing: Missing[]
  undocumented: Undocumented[]
  disagreements: Disagreement[]
}

type Params = Record<string, string | undefined>

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

// Fastify's `::` is a literal colon; `:name` and `:name(regex)` are parameters, whose name
// ends at `/`, `-`, `.` or the regex.
export function routeShape (path: string): string {
  let shape = ''
  for (let i = 0; i < path.length; i++) {
    if (path[i] !== ':') {
      shape += path[i]
    } else if (path[i + 1] === ':') {
      shape += ':'
      i++
    } else {
      let end = i + 1
      while (end < path.length && !'/-.('.includes(path[end])) end++
      if (path[end] === '(') end = closingParenthesis(path, end) + 1
      shape += '{}'
      i = end - 1
    }
  }
  return shape
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

// The concrete paths a route pattern may serve, to name the route the router sends an
// operation to when its pattern is written differently (`/files/*` for `/files/{path}`).
// Looser than the router (any case, a trailing slash): it only picks among routes the
// router has already matched.
function routePattern (path: string): RegExp {
  const source = routeShape(path).split(/(\{\}|\*)/).map((part) => {
    if (part === '{}') return '[^/]+'
    if (part === '*') return '.*'
    return escapeRegExp(part)
  }).join('')
  return new RegExp(`^${source}/?$`, 'i')
}

function concretePath (operation: SpecOperation, base: string): string {
  // A valid spec declares every parameter of its path templates: each has a sample.
  return base + operation.template.replace(/\{([^{}]*)\}/g, (_, name: string) => encodeURIComponent(operation.samples[name]))
}

// A root catch-all (`*`, `/*`) answers any path: matching it is not implementing an operation.
function isWholePathCapture (params: Params, path: string): boolean {
  const keys = Object.keys(params)
  return keys.length === 1 && keys[0] === '*' && (params['*'] === path || '/' + params['*'] === path)
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

function describeValues (values: ReadonlySet<string | undefined>): string {
  return [...values].map((value) => value === undefined ? '(none)' : `"${value}"`).join(', ')
}

function compareAnnotation (found: AppMethod, operation: SpecOperation, path: string, out: Disagreement[]): void {
  const checks: Array<[string, 'tier' | 'feature']> = [[X_TIER, 'tier'], [X_FEATURE, 'feature']]
  for (const [extension, field] of checks) {
    const value = operation.operation[extension]
    const spec = typeof value === 'string' ? value : undefined
    const app = new Set(found.entries.map((entry) => entry[field]))
    if (app.size === 1 && app.has(spec)) continue
    out.push({ method: operation.method, path, field: extension, spec: spec === undefined ? '(none)' : `"${spec}"`, app: describeValues(app) })
  }
  const unbuilt = operation.operation[X_NOT_IMPLEMENTED] === true
  if (unbuilt && found.entries.some((entry) => entry.implemented)) {
    out.push({ method: operation.method, path, field: X_NOT_IMPLEMENTED, spec: 'true', app: 'implemented' })
  }
}

async function outcomeOf (app: App, method: string, url: string): Promise<Pick<Missing, 'status' | 'code' | 'allow'>> {
  const response = await app.inject({ method: method as 'GET', url })
  const outcome: Pick<Missing, 'status' | 'code' | 'allow'> = { status: response.statusCode }
  try {
    const body = JSON.parse(response.body) as Record<string, unknown>
    if (typeof body.code === 'string') outcome.code = body.code
  } catch {}
  const allow = response.headers.allow
  if (typeof allow === 'string') outcome.allow = allow
  return outcome
}

// Diffs the spec's operations against the app's capability matrix. Operations the app
// lacks are asked of the app itself (`inject`) to tell what a client gets: 404, 405, 501.
export async function audit (app: App, matrix: CapabilityMatrix, spec: Spec, onProgress: (done: number, total: number) => void): Promise<AuditReport> {
  const methods = appMethods(matrix)
  const byShape = new Map<string, AppMethod>()
  for (const found of methods) byShape.set(found.method + ' ' + routeShape(found.path), found)
  const covered = new Set<AppMethod>()
  const report: AuditReport = {
    spec: { file: spec.file, version: spec.version, title: spec.title, operations: spec.operations.length },
    missing: [],
    undocumented: [],
    disagreements: []
  }

  let done = 0
  for (const operation of spec.operations) {
    onProgress(done++, spec.operations.length)
    let found: AppMethod | undefined
    // The operation is shown, and asked of the app, under the base path where its route is;
    // under the first one when it has none.
    let where = operation.bases[0]
    for (const base of operation.bases) {
      found = byShape.get(operation.method + ' ' + specShape(base + operation.template))
      if (found === undefined) continue
      where = base
      break
    }
    const shown = where + operation.template
    const url = concretePath(operation, where)
    let routed = found !== undefined
    let catchAll = false
    if (found === undefined) {
      // The router may still send the operation to a route written another way.
      for (const base of operation.bases) {
        const concrete = concretePath(operation, base)
        const hit = app.findRoute({ method: operation.method as 'GET', url: concrete })
        if (hit === null) continue
        if (isWholePathCapture(hit.params as Params, concrete)) {
          catchAll = true
          continue
        }
        routed = true
        // No route of the matrix fits when the plugin never saw the route (registered
        // before it): the operation is implemented all the same.
        const path = concrete.replace(/\/{2,}/g, '/')
        found = methods.find((candidate) => candidate.method === operation.method && routePattern(candidate.path).test(path))
        break
      }
    }
    if (found !== undefined) covered.add(found)

    if (!routed) {
      const missing: Missing = { method: operation.method, path: shown }
      if (catchAll) missing.note = 'answered by a catch-all route'
      else Object.assign(missing, await outcomeOf(app, operation.method, url))
      report.missing.push(missing)
      continue
    }
    if (found === undefined) continue
    const unbuilt = found.entries.every((entry) => !entry.implemented)
    if (unbuilt && operation.operation[X_NOT_IMPLEMENTED] !== true) {
      report.missing.push({ method: operation.method, path: shown, ...await outcomeOf(app, operation.method, url) })
    }
    compareAnnotation(found, operation, shown, report.disagreements)
  }
  onProgress(done, spec.operations.length)

  for (const found of methods) {
    // Fastify derives HEAD from GET and the plugin answers OPTIONS: contracts rarely list them.
    if (covered.has(found) || found.method === 'HEAD' || found.method === 'OPTIONS') continue
    if (found.entries.every((entry) => entry.hidden === true)) continue
    const first = found.entries[0]
    const item: Undocumented = { method: found.method, path: found.path, implemented: found.entries.some((entry) => entry.implemented) }
    if (first.tier !== undefined) item.tier = first.tier
    if (first.feature !== undefined) item.feature = first.feature
    report.undocumented.push(item)
  }
  return report
}

export function driftOf (report: AuditReport): number {
  return report.missing.length + report.undocumented.length + report.disagreements.length
}

function outcomeText (missing: Missing): string {
  if (missing.status === undefined) return missing.note as string
  const parts = [String(missing.status)]
  if (missing.code !== undefined) parts.push(missing.code)
  else if (missing.status === 404) parts.push('Not Found')
  let text = parts.join(' ')
  if (missing.allow !== undefined) text += ` (Allow: ${missing.allow})`
  return text
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
    out += section('Annotations that disagree', report.disagreements.map((d) => [d.method, d.path, `${d.field}: spec ${d.spec}, app ${d.app}`]), style) + '\n'
  }
  const drift = driftOf(report)
  if (drift === 0) {
    out += style.green(`no drift: the app implements the ${spec.operations} ${spec.operations === 1 ? 'operation' : 'operations'} of the spec, as annotated, and no others`) + '\n'
  } else {
    out += style.red(`drift: ${drift} ${drift === 1 ? 'difference' : 'differences'}`) + '\n'
  }
  return out
}
