export interface Output {
  write (chunk: string): unknown
  isTTY?: boolean
}

export interface Style {
  bold (text: string): string
  dim (text: string): string
  red (text: string): string
  green (text: string): string
  yellow (text: string): string
}

function paint (open: number, close: number): (text: string) => string {
  return (text) => `\u001b[${open}m${text}\u001b[${close}m`
}

const plain = (text: string): string => text

// Colours only where a person reads a terminal, and never when NO_COLOR is set.
export function styleFor (output: Output, env: Record<string, string | undefined>): Style {
  const colour = output.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb'
  if (!colour) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain }
  return { bold: paint(1, 22), dim: paint(2, 22), red: paint(31, 39), green: paint(32, 39), yellow: paint(33, 39) }
}

export type Cell = string | { text: string, paint: (text: string) => string }

function textOf (cell: Cell): string {
  return typeof cell === 'string' ? cell : cell.text
}

// Columns padded on the text a reader sees, then painted, so colours never shift them.
export function formatTable (rows: readonly Cell[][], indent = ''): string {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, textOf(cell).length) })
  }
  return rows.map((row) => {
    // Empty cells at the end of a row are left out, so no line ends in spaces.
    let length = row.length
    while (length > 0 && textOf(row[length - 1]) === '') length--
    const cells = row.slice(0, length).map((cell, i) => {
      const text = textOf(cell)
      const padded = i === length - 1 ? text : text.padEnd(widths[i])
      return typeof cell === 'string' ? padded : cell.paint(text) + padded.slice(text.length)
    })
    return indent + cells.join('  ')
  }).join('\n')
}
