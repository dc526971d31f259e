import type { CapabilityMatrix, CapabilityMethod } from 'fastify-not-implemented'
import { formatTable, type Cell, type Style } from './style'

function state (entry: CapabilityMethod, style: Style): Cell {
  return entry.implemented ? { text: 'yes', paint: style.green } : { text: 'no, declared', paint: style.yellow }
}

// A date at midnight UTC, as the plugin stores a bare date, reads as that date.
function day (iso: string): string {
  return iso.replace(/T00:00:00(\.000)?Z$/, '')
}

// What the IMPLEMENTED column does not tell: a retired endpoint is built and answers 410.
function notes (entry: CapabilityMethod): string {
  const parts: string[] = []
  if (entry.hidden === true) parts.push('hidden from OpenAPI')
  if (entry.deprecation !== undefined) parts.push(`deprecated ${day(entry.deprecation)}`)
  if (entry.sunset !== undefined) parts.push(`sunset ${day(entry.sunset)}`)
  if (entry.gone === true) parts.push('gone (410)')
  return parts.join(', ')
}

// The matrix as a table a person reads: one line per method, the path named once.
export function formatMatrix (matrix: CapabilityMatrix, style: Style): string {
  const header = ['PATH', 'METHOD', 'IMPLEMENTED', 'TIER', 'FEATURE', 'VERSIONS', ''].map((text): Cell => ({ text, paint: style.bold }))
  const rows: Cell[][] = [header]
  let operations = 0
  for (const route of matrix.routes) {
    route.methods.forEach((entry, i) => {
      operations++
      rows.push([
        i === 0 ? route.path : '',
        entry.method,
        state(entry, style),
        entry.tier ?? '-',
        entry.feature ?? '-',
        entry.versions?.join(', ') ?? '-',
        { text: notes(entry), paint: style.dim }
      ])
    })
  }
  const paths = matrix.routes.length
  const summary = `${operations} ${operations === 1 ? 'method' : 'methods'} on ${paths} ${paths === 1 ? 'path' : 'paths'}, digest ${matrix.digest}`
  return `${formatTable(rows)}\n\n${style.dim(summary)}\n`
}
