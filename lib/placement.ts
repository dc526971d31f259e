import type { FastifyInstance } from 'fastify'
import { isRootInstance, routesDeclaredSoFar } from './fastify-internals'

// The plugin answers for the whole app (501 means "no route of this app has the method"),
// and can gate only the routes it sees being declared. So it must be registered once, at
// the root, before any route; anything else would fail open, and so refuses to start.

const registered = new WeakSet<FastifyInstance>()
const fix = 'register it once, at the root, before any route: `await app.register(notImplemented, options)` on the instance `Fastify()` returned'

function fail (message: string): never {
  throw new Error(`fastify-not-implemented: ${message}`)
}

export function checkPlacement (fastify: FastifyInstance): void {
  if (!isRootInstance(fastify)) {
    fail(`registered inside an encapsulated plugin, where it would answer for the whole app from that plugin's routes alone; ${fix}`)
  }
  if (registered.has(fastify)) fail(`registered twice; ${fix}`)
  const earlier = routesDeclaredSoFar(fastify)
  if (earlier.length > 0) {
    fail(`${earlier.length} route(s) were declared before the plugin loaded, so their tier, feature and implemented config would not be enforced and their methods would be missing from 405 and 501 answers: ${earlier.join('; ')}. A \`register()\` without \`await\`, or a plugin that adds routes (such as @fastify/cors) registered first, does this; ${fix}`)
  }
  registered.add(fastify)
}
