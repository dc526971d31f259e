// Safe descriptions of what a resolver or flag source gave back or threw, for log lines.
// Nothing here may throw, whatever the value (getters that throw, proxies, cycles), and
// nothing here copies a value: a resolver that returns the account by mistake must not put
// its API key or e-mail into a log line, where a logger's `redact` paths cannot reach it.

const maxKeys = 8

function keysOf (value: object): string {
  const keys = Object.keys(value)
  const shown = keys.slice(0, maxKeys).join(', ')
  return keys.length > maxKeys ? `${shown}, … (${keys.length} keys)` : shown
}

function constructorName (value: object): string | undefined {
  const name: unknown = Object.getPrototypeOf(value)?.constructor?.name
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : undefined
}

// "a string of 12 characters", "an object with keys apiKey, email", "an instance of Account".
export function shapeOf (value: unknown): string {
  try {
    if (value === null) return 'null'
    if (Array.isArray(value)) return `an array of ${value.length} items`
    switch (typeof value) {
      case 'string': return `a string of ${value.length} characters`
      case 'object': {
        const name = constructorName(value)
        const keys = keysOf(value)
        const what = name === undefined ? 'an object' : `an instance of ${name}`
        return keys === '' ? what : `${what} with keys ${keys}`
      }
      case 'undefined': return 'undefined'
      default: return `a ${typeof value}`
    }
  } catch {
    return 'a value that cannot be inspected'
  }
}

function readString (read: () => unknown): string | undefined {
  try {
    const value = read()
    return typeof value === 'string' ? value : undefined
  } catch {
    return undefined
  }
}

// `instanceof` runs a proxy's getPrototypeOf trap, which may throw.
function isError (value: unknown): value is Error {
  try {
    return value instanceof Error
  } catch {
    return false
  }
}

export interface CauseSummary {
  name: string
  message: string
  stack?: string
}

// A plain object for the log line's `err` field. An Error's own message and stack are the
// app's words and are kept; anything else thrown is described by its shape alone. It has
// no prototype, so that pino's error serializer reports its `name` as the type.
export function summarizeCause (cause: unknown): CauseSummary {
  const summary: CauseSummary = Object.create(null)
  if (isError(cause)) {
    summary.name = readString(() => cause.name) ?? 'Error'
    summary.message = readString(() => cause.message) ?? ''
    const stack = readString(() => cause.stack)
    if (stack !== undefined) summary.stack = stack
  } else {
    summary.name = typeof cause
    summary.message = `threw ${shapeOf(cause)}`
  }
  return summary
}
