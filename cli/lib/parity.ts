import type { CapabilityMatrix, CapabilityMethod } from 'fastify-not-implemented'
import { UsageError, reasonOf } from './errors'
import { formatTable, type Cell, type Style } from './style'

export interface Instance {
  url: string
  matrix: CapabilityMatrix
}

// One capability: a method at a path, with its gates, as the capability matrix gives it.
export interface Capability extends CapabilityMethod {
  path: string
}

// A capability that some instances lack; instances by the URL given.
export interface Difference {
  capability: Capability
  presentOn: string[]
  missingOn: string[]
}

// The report, and the shape of `parity --json`: values, never the text a person reads.
//
// {
//   "instances": [{ "url": "http://10.0.0.1/caps", "digest": "3335cb..." }, { "url": "http://10.0.0.2/caps", "digest": "b26768..." }],
//   "differences": [
//     { "capability": { "path": "/pets", "method": "POST", "implemented": true, "tier": "plus" },
//       "presentOn": ["http://10.0.0.1/caps"], "missingOn": ["http://10.0.0.2/caps"] }
//   ]
// }
export interface ParityReport {
  instances: Array<{ url: string, digest: string }>
  differences: Difference[]
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isMatrix (value: unknown): value is CapabilityMatrix {
  return isObject(value) && typeof value.digest === 'string' && Array.isArray(value.routes) &&
    value.routes.every((route) => isObject(route) && typeof route.path === 'string' && Array.isArray(route.methods) &&
      route.methods.every((entry) => isObject(entry) && typeof entry.method === 'string' && typeof entry.implemented === 'boolean'))
}

// Fetches the matrix an instance serves on its capability route (the URL given in full).
export async function fetchMatrix (url: string, headers: Record<string, string>, timeout: number): Promise<CapabilityMatrix> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UsageError(`${url} is not a URL; give the full URL of each instance's capability route`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`${url} is not an http or https URL`)
  let response: Response
  try {
    response = await fetch(parsed, { headers: { accept: 'application/json', ...headers }, signal: AbortSignal.timeout(timeout) })
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeout} ms` : reasonOf(cause ?? error)
    throw new UsageError(`cannot reach ${url}: ${reason}`)
  }
  const text = await response.text()
  if (response.status !== 200) {
    const hint = response.status === 404 ? '; is the plugin\'s capabilitiesRoute option set on that instance?' : ''
    throw new UsageError(`${url} answered ${response.status} ${response.statusText}${hint}`)
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new UsageError(`${url} did not answer with JSON`)
  }
  if (!isMatrix(body)) throw new UsageError(`${url} did not answer with a capability matrix`)
  return body
}

function describe (path: string, entry: CapabilityMethod): string {
  const gates: string[] = []
  if (!entry.implemented) gates.push('not built')
  if (entry.tier !== undefined) gates.push(`tier ${entry.tier}`)
  if (entry.feature !== undefined) gates.push(`feature ${entry.feature}`)
  if (entry.versions !== undefined) gates.push(`versions ${entry.versions.join(', ')}`)
  if (entry.hidden === true) gates.push('hidden')
  return `${entry.method} ${path}` + (gates.length > 0 ? ` [${gates.join('; ')}]` : '')
}

// The fields of the matrix, and only those: an instance may serve more than this tool reads.
function capabilityOf (path: string, entry: CapabilityMethod): Capability {
  const capability: Capability = { path, method: entry.method, implemented: entry.implemented }
  if (entry.tier !== undefined) capability.tier = entry.tier
  if (entry.feature !== undefined) capability.feature = entry.feature
  if (entry.versions !== undefined) capability.versions = entry.versions
  if (entry.hidden === true) capability.hidden = true
  return capability
}

// Instances are told apart by position: the same URL given twice (a load balancer, say)
// may well reach two nodes.
export function compareInstances (instances: readonly Instance[]): ParityReport {
  // Capabilities are told apart by their description, which names every field.
  const holders = new Map<string, { capability: Capability, on: Set<number> }>()
  instances.forEach(({ matrix }, index) => {
    for (const route of matrix.routes) {
      for (const entry of route.methods) {
        const text = describe(route.path, entry)
        let holder = holders.get(text)
        if (holder === undefined) holders.set(text, (holder = { capability: capabilityOf(route.path, entry), on: new Set() }))
        holder.on.add(index)
      }
    }
  })
  const urls = instances.map(({ url }) => url)
  const differences: Array<Difference & { text: string }> = []
  for (const [text, { capability, on }] of holders) {
    if (on.size === urls.length) continue
    differences.push({ text, capability, presentOn: urls.filter((_, i) => on.has(i)), missingOn: urls.filter((_, i) => !on.has(i)) })
  }
  differences.sort((a, b) => a.text < b.text ? -1 : 1)
  return {
    instances: instances.map(({ url, matrix }) => ({ url, digest: matrix.digest })),
    differences: differences.map(({ capability, presentOn, missingOn }) => ({ capability, presentOn, missingOn }))
  }
}

export function formatParity (report: ParityReport, style: Style): string {
  const rows: Cell[][] = report.instances.map(({ url, digest }) => [url, { text: `digest ${digest.slice(0, 12)}`, paint: style.dim }])
  let out = `${style.bold('parity')} of ${report.instances.length} instances\n${formatTable(rows, '  ')}\n\n`
  if (report.differences.length === 0) {
    return out + style.green('no drift: every instance has the same capabilities') + '\n'
  }
  out += style.bold(`Capabilities some instances lack (${report.differences.length}):`) + '\n'
  out += formatTable(report.differences.map((d) => [describe(d.capability.path, d.capability), { text: `missing on ${d.missingOn.join(', ')}`, paint: style.red }]), '  ') + '\n\n'
  return out + style.red(`drift: ${report.differences.length} ${report.differences.length === 1 ? 'capability differs' : 'capabilities differ'}`) + '\n'
}
