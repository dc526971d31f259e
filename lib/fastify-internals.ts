import type { FastifyInstance } from 'fastify'
import type { NotFoundHook } from './not-found'

// Every read of Fastify's private state, in one place. Each was checked against Fastify
// 5.0 to 5.12; test/fastify-internals.test.ts fails loudly if an upgrade changes one.
//
// 1. The not-found contexts. Fastify has no public way to run a hook on the not-found path
//    alone: an instance-level `onRequest` hook lands on every route too, and
//    `setNotFoundHandler` belongs to the app. So, once the app is ready (every context's
//    hook list is final), the plugin appends its hook to the not-found contexts only, and
//    routed requests run exactly the code they ran without it.
// 2. The root instance. An encapsulated context is made with `Object.create(parent)`
//    (avvio's override); the root instance is a plain object. The plugin answers for the
//    whole app, so it must be given the root.
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

export function isRootInstance (fastify: FastifyInstance): boolean {
  return Object.getPrototypeOf(fastify) === Object.prototype
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

// 3. The routes declared so far, as `printRoutes()` shows them: find-my-way prints
//    "(empty tree)" for none and one line per path and method set with `commonPrefix: false`.
//    The text only names routes in an error message; whether there are any is the decision.
export function routesDeclaredSoFar (fastify: FastifyInstance): string[] {
  const text = fastify.printRoutes({ commonPrefix: false })
  if (text.trim() === '(empty tree)') return []
  return text.split('\n')
    .map((line) => line.replace(/^[└├│─\s]+/, ''))
    .filter((line) => line !== '')
}
