import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { NotFoundHook } from './not-found'

// Every read of Fastify's (and Node's HTTP server's) private state, in one place, and the
// one copy of Fastify code the plugin keeps. Each was checked against Fastify 5.0 to
// 5.12.8 and Node 20; test/fastify-internals.test.ts fails loudly if an upgrade changes one.
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

// 4. The error handler a request's error goes to: the one its route's context holds
//    (`request[Symbol('fastify.context')].errorHandler.func`, lib/error-handler.js), fixed
//    when the route was added, not `server.errorHandler`, which a later setErrorHandler
//    changes. Fastify's default one is told by its name; where it is the one, the plugin
//    writes its documented body itself: it keeps only { statusCode, code, error, message }.
const routeContextKey = 'fastify.context'
let kRouteContext: symbol | undefined

interface RouteContext {
  errorHandler: { func: (...args: never[]) => unknown }
}

export function usesDefaultErrorHandler (reply: FastifyReply): boolean {
  const request = reply.request as unknown as Internals
  kRouteContext ??= findSymbol(request, routeContextKey)
  return (request[kRouteContext] as RouteContext).errorHandler.func.name === 'defaultErrorHandler'
}

// 5. Fastify's own default client error handler, copied from Fastify 5.12.8 (fastify.js,
//    `defaultClientErrorHandler`): an app that passes its own gives that one up, so every
// other client error is answered exactly as Fastify would.
export function fastifyDefaultClientErrorHandler (this: FastifyInstance, err: Error & { code?: string }, socket: Socket): void {
  // In case of a connection reset, the socket has been destroyed and there is nothing that needs to be done.
  // https://nodejs.org/api/http.html#event-clienterror
  if (err.code === 'ECONNRESET' || socket.destroyed) {
    return
  }

  let body, errorCode, errorStatus, errorLabel

  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    errorCode = '408'
    errorStatus = STATUS_CODES[errorCode]
    body = `{"error":"${errorStatus}","message":"Client Timeout","statusCode":408}`
    errorLabel = 'timeout'
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    errorCode = '431'
    errorStatus = STATUS_CODES[errorCode]
    body = `{"error":"${errorStatus}","message":"Exceeded maximum allowed HTTP header size","statusCode":431}`
    errorLabel = 'header_overflow'
  } else {
    errorCode = '400'
    errorStatus = STATUS_CODES[errorCode]
    body = `{"error":"${errorStatus}","message":"Client Error","statusCode":400}`
    errorLabel = 'error'
  }

  // Most devs do not know what to do with this error.
  // In the vast majority of cases, it's a network error and/or some
  // config issue on the load balancer side.
  this.log.trace({ err }, `client ${errorLabel}`)
  // Copying standard node behavior
  // https://github.com/nodejs/node/blob/6ca23d7846cb47e84fd344543e394e50938540be/lib/_http_server.js#L666

  // If the socket is not writable, there is no reason to try to send data.
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${errorCode} ${errorStatus}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\n\r\n${body}`)
  }
  socket.destroy(err)
}

// 6. Node's HTTP server: `socket._httpMessage`, the response that holds the socket. Node
//    queues pipelined responses and hands the socket to each in turn.
export function responseHolding (socket: Socket): ServerResponse | null | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
}

// 7. The not-found router's fallback. Fastify hands every request its router does not match
//    to a second router, of not-found handlers, which has them for every method Node knows.
//    A method it has no tree for (over HTTP/2 a client may send any token; HTTP/1.1's
//    parser refuses them before Fastify) falls through to that router's `defaultRoute`
//    (lib/four-oh-four.js, `fourOhFourFallBack`): a 404 FST_ERR_NOT_FOUND, logged as a
//    Fastify bug. `answer` is offered each such request first, and returns whether it
//    answered it.
const fourOhFourKey = 'fastify.404'

type RawHandler = (req: IncomingMessage, res: ServerResponse) => void

export function offerUnroutedMethods (fastify: FastifyInstance, answer: (req: IncomingMessage, res: ServerResponse) => boolean): void {
  const kFourOhFour = findSymbol(fastify, fourOhFourKey)
  const router = ((fastify as unknown as Internals)[kFourOhFour] as { router: { defaultRoute: RawHandler } }).router
  const fallback = router.defaultRoute
  router.defaultRoute = function notImplementedUnroutedMethod (req, res) {
    if (!answer(req, res)) fallback(req, res)
  }
}
