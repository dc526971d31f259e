import type { FastifyRequest } from 'fastify'

// Requests that a gate answered with the app's own 404 (`hideBelowTier`): nothing the
// route adds on the way out (its deprecation headers) may tell such an answer from the 404
// of a path that does not exist. A WeakSet: it holds no request past its life.
const hiddenRequests = new WeakSet<FastifyRequest>()

export function hideAnswer (request: FastifyRequest): void {
  hiddenRequests.add(request)
}

export function isHiddenAnswer (request: FastifyRequest): boolean {
  return hiddenRequests.has(request)
}
