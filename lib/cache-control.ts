// Reads a Cache-Control value the way a shared cache does (RFC 9111 §5.2), to decide at
// start-up whether a configured policy keeps an answer out of shared caches.

interface Directive {
  name: string
  // Whether the directive has an argument (`private="Set-Cookie"` does, `private` does not).
  hasArgument: boolean
}

// Splits `a, b=1, c="x, y"` into directives; commas inside a quoted string are no separators.
export function parseCacheControl (value: string): Directive[] {
  const directives: Directive[] = []
  let i = 0
  while (i < value.length) {
    let end = i
    let quoted = false
    for (; end < value.length; end++) {
      const char = value[end]
      if (quoted && char === '\\') end++
      else if (char === '"') quoted = !quoted
      else if (char === ',' && !quoted) break
    }
    const part = value.slice(i, end).trim()
    if (part !== '') {
      const equals = part.indexOf('=')
      const name = (equals === -1 ? part : part.slice(0, equals)).trim().toLowerCase()
      directives.push({ name, hasArgument: equals !== -1 })
    }
    i = end + 1
  }
  return directives
}

// Whether no shared cache may store a response with this policy: `no-store`, or an
// unqualified `private`. `private="field"` only keeps those fields private (RFC 9111
// §5.2.2.7) and leaves the response storable, so it does not count.
export function isPrivateToCaller (policy: string): boolean {
  return parseCacheControl(policy).some(({ name, hasArgument }) =>
    name === 'no-store' || (name === 'private' && !hasArgument))
}
