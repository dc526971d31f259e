export class TimeoutError extends Error {
  constructor (ms: number) {
    super(`no answer within ${ms} ms`)
    this.name = 'TimeoutError'
  }
}

export function isThenable (value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function'
}

// Settles like `promise`, or rejects with a TimeoutError after `ms`. The timer is unref'd
// (it never keeps a process alive) and cleared as soon as the promise settles; it is left
// to fire on close so that a hung dependency still lets in-flight requests finish.
export function withTimeout<T> (promise: PromiseLike<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(ms)), ms)
    timer.unref()
    promise.then(
      (value) => { clearTimeout(timer); resolve(value) },
      (error: unknown) => { clearTimeout(timer); reject(error) }
    )
  })
}
