import type { FastifyInstance } from 'fastify'
import type { NotFoundHook } from './not-found'

// Fastify has no public way to run a hook on the not-found path alone: an instance-level
// `onRequest` hook lands on every route too, and `setNotFoundHandler` belongs to the app.
// So, once the app is ready (every context's hook list is final), the plugin appends its
// hook to the not-found contexts only, and routed requests run exactly the code they ran
// without it. These are the two Fastify 5 internals it reads; a Fastify without them
// fails loudly at registration rather than silently doing nothing.
const notFoundContextKey = 'fastify.404ContextKey'
const childrenKey = 'fastify.children'

interface NotFoundContext {
  onRequest: NotFoundHook[] | null
}

type Internals = Record<symbol, unknown>

function findSymbol (instance: object, description: string): symbol {
  for (let object: object | null = instance; object !== null; object = Object.getPrototypeOf(object)) {
    const found = Object.getOwnPropertySymbols(object).find((s) => s.description === description)
    if (found !== undefined) return found
  }
  throw new Error(`fastify-not-implemented: this Fastify version has no "${description}"; the plugin supports Fastify 5.x`)
}

export function notFoundAttacher (fastify: FastifyInstance): (hook: NotFoundHook) => number {
  const kContext = findSymbol(fastify, notFoundContextKey)
  const kChildren = findSymbol(fastify, childrenKey)

  // Returns how many not-found contexts got the hook (one per setNotFoundHandler level).
  return function attach (hook) {
    const contexts = new Set<NotFoundContext>()
    const pending: Internals[] = [fastify as unknown as Internals]
    while (pending.length > 0) {
      const instance = pending.pop() as Internals
      const context = instance[kContext] as NotFoundContext | null | undefined
      if (context != null) contexts.add(context)
      pending.push(...(instance[kChildren] as Internals[]))
    }
    for (const context of contexts) {
      context.onRequest = context.onRequest === null ? [hook] : [...context.onRequest, hook]
    }
    return contexts.size
  }
}
