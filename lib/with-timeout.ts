export class TimeoutError extends Error {
  constructor (ms: number) {
    super(`no answer within ${ms} ms`)
    this.name = 'TimeoutError'
  }
}

export function isThenable (value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function'
}

// Settles like `promise`, or rejects with a TimeoutError after `ms`. A thenable may resolve
// with another promise or thenable: `Promise.resolve` follows the whole chain and calls
// back with its final value alone, so no link of it escapes the limit (handing the
// thenable's value to `resolve` would lock the result to the next link, timer or not).
// The timer is unref'd (it never keeps a process alive) and is left to fire on close, so
// that a hung dependency still lets in-flight requests finish.
export function withTimeout<T> (promise: PromiseLike<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const result = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms)
    timer.unref()
    // A thenable's `then` may throw instead of calling back: that rejects the result.
    Promise.resolve(promise).then(resolve, reject)
  })
  const clear = (): void => clearTimeout(timer)
  result.then(clear, clear)
  return result
}

// Calls `source` and passes its answer to `onValue`, or what it threw or rejected with to
// `onError`: synchronously, with no promise made, when it answers synchronously; within
// `ms` otherwise. Whatever `onValue` or `onError` throw goes to `onCrash`, so no promise
// made here is ever left rejected without a handler.
export function settle (
  source: () => unknown,
  ms: number,
  onValue: (value: unknown) => void,
  onError: (error: unknown) => void,
  onCrash: (error: unknown) => void
): void {
  let value: unknown
  let pending: PromiseLike<unknown> | undefined
  try {
    value = source()
    // Inside the try: even reading `then` may throw on what a resolver returns.
    if (isThenable(value)) pending = value
  } catch (error) {
    onError(error)
    return
  }
  if (pending === undefined) onValue(value)
  else withTimeout(pending, ms).then(onValue, onError).catch(onCrash)
}
