// Bad input: an app module that does not load, an unreadable spec, an unreachable
// instance. The command-line tool prints its message on one line and exits with 2.
export class UsageError extends Error {
  override name = 'UsageError'
}

// The first line of an error's message: a reason, never a stack or a code frame.
export function reasonOf (error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const line = message.split('\n').map((part) => part.trim()).find((part) => part !== '')
  return line ?? 'unknown error'
}
