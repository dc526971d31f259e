import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { errors, type PluginError } from './errors'
import { methodsAt, targetOf, type Constraints } from './allow'
import { isWholePathCapture } from './catch-all'
import { compareMethods, sortedMethods, type MethodTable } from './method-table'
import { liveAt, unbuiltConstraintName } from './unbuilt-routes'
import type { Settings } from './options'
import { outcomeHeaders, prepareAnswer, sendPrepared, sendError, sendNoContent, type Headers, type PreparedAnswer } from './respond'
import { recordDecision, recordOptions } from './decisions'

interface AllowAnswer {
  allow: readonly string[]
  notAllowedHeaders: Headers
  optionsHeaders: Headers
}

// What a path answers: the Allow answer of its methods, and its 405s, made on first use
// for each method asked (only methods some route implements get that far) and kept where
// the path is remembered.
interface PathAnswer {
  path: string
  methods: AllowAnswer
  notAllowed: Map<string, PreparedAnswer>
  remembered: boolean
}

const rememberedPaths = 1000
const rememberedLength = 512
// The 405s kept across all remembered paths (about 700 bytes each): a client that asks every
// method at every path fills this, not the heap; past it a 405 is made for its request alone.
const rememberedNotAllowed = 4096

export type NotFoundHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

// Builds the onRequest hook that runs only where Fastify's router found no route for the
// request's method: it tells "no such method anywhere" (501) from "not this method here"
// (405) from "nothing here" (the app's own 404). Called once, when the app is ready and the
// route table is complete, so everything that can be decided is decided here; and again
// each time a route's sunset passes, which is when what the routes implement changes.
export function buildNotFoundHook (fastify: FastifyInstance, tableAt: (at: number) => MethodTable, settings: Settings): NotFoundHook {
  const answersOptions = settings.autoOptions
  const now = settings.now
  let table!: MethodTable
  // Every method some route answers, plus OPTIONS when the plugin answers it.
  let candidates!: string[]
  let implemented!: Set<string>
  let withUnbuiltRoutes!: Set<string>
  let onlyUnbuilt!: string[]
  let serverAllow!: string
  // The value of the plugin's constraint that sees the routes whose sunset is still to come.
  let live: string | undefined
  // The answers of paths asked about recently (pathAnswerAt, below).
  const remembered = new Map<string, PathAnswer | null>()
  // How many 405s the remembered paths keep.
  let keptNotAllowed = 0
  function forgetPaths (): void {
    remembered.clear()
    keptNotAllowed = 0
  }
  function decideAt (at: number): void {
    // A sunset passed: what answers where has changed.
    forgetPaths()
    table = tableAt(at)
    candidates = sortedMethods(answersOptions ? [...table.implemented, 'OPTIONS'] : table.implemented)
    implemented = new Set(candidates)
    withUnbuiltRoutes = new Set([...table.unbuilt].filter((method) => implemented.has(method)))
    onlyUnbuilt = [...table.unbuilt].filter((method) => !implemented.has(method))
    serverAllow = candidates.join(', ')
    live = table.retiring ? liveAt(at) : undefined
  }
  decideAt(now())
  const versions = table.versions
  const versioned = versions.size > 0
  // Where routes are versioned, which methods answer depends on Accept-Version too.
  const methodVary = versioned ? ['Accept-Version'] : []
  const notImplementedHeaders = outcomeHeaders(settings, 'FST_METHOD_NOT_IMPLEMENTED')
  const notAllowedHeaders = outcomeHeaders(settings, 'FST_METHOD_NOT_ALLOWED', methodVary)
  const optionsHeaders = outcomeHeaders(settings, 'OPTIONS', methodVary)
  const versionHeaders = outcomeHeaders(settings, 'FST_VERSION_NOT_IMPLEMENTED', ['Accept-Version'])

  function withAllow (headers: Headers, allow: string): Headers {
    return { ...headers, allow }
  }

  // The constraints Fastify's router derives from a request (Host, or `:authority` over
  // HTTP/2, as find-my-way reads them; Accept-Version), so that asking it about other
  // methods matches exactly as routing this request did.
  function constraintsOf (request: FastifyRequest): Constraints {
    const headers = request.headers
    const constraints: Constraints = {
      host: headers.host || headers[':authority'] as string | undefined,
      // Fastify's router derives a version only where some route is versioned; asking it
      // with one elsewhere would match no unversioned route.
      version: versioned ? headers['accept-version'] as string | undefined : undefined
    }
    if (live !== undefined) constraints[unbuiltConstraintName] = live
    return constraints
  }

  // Whether `method` answers at this path in a version other than the one asked for: then
  // the version is what is missing (501 FST_VERSION_NOT_IMPLEMENTED). For OPTIONS, which
  // the plugin answers wherever some method answers, any method counts. A method that
  // answers here in no version at all leaves the question to the 404, as without a version.
  function answersInOtherVersion (method: string, path: string, constraints: Constraints): boolean {
    const asked = method === 'OPTIONS' && answersOptions ? [...versions.keys()] : [method]
    for (const candidate of asked) {
      for (const version of versions.get(candidate) ?? []) {
        const found = fastify.findRoute({ method: candidate as 'GET', url: path, constraints: { ...constraints, version } })
        if (found !== null && !isWholePathCapture(found.params, path)) return true
      }
    }
    return false
  }

  function answer (reply: FastifyReply, error: PluginError, headers: Headers): void {
    recordDecision(reply, settings.logLevel, error)
    sendError(reply, error, headers)
  }

  function answerPrepared (reply: FastifyReply, prepared: PreparedAnswer): void {
    recordDecision(reply, settings.logLevel, prepared.error)
    sendPrepared(reply, prepared)
  }

  // One 501 per method, kept: only the methods Fastify's router knows get this far, which
  // are Node's http.METHODS (the only ones addHttpMethod accepts), whatever clients send.
  const notImplemented = new Map<string, PreparedAnswer>()
  function notImplementedAnswer (method: string): PreparedAnswer {
    let found = notImplemented.get(method)
    if (found === undefined) {
      found = prepareAnswer(() => new errors.FST_METHOD_NOT_IMPLEMENTED(method), notImplementedHeaders)
      notImplemented.set(method, found)
    }
    return found
  }

  function notAllowedAnswer (here: PathAnswer, method: string): PreparedAnswer {
    let found = here.notAllowed.get(method)
    if (found === undefined) {
      const { path, methods } = here
      found = prepareAnswer(() => {
        const error = new errors.FST_METHOD_NOT_ALLOWED(method, path)
        error.allow = methods.allow.slice()
        return error
      }, methods.notAllowedHeaders)
      if (here.remembered && keptNotAllowed < rememberedNotAllowed) {
        keptNotAllowed++
        here.notAllowed.set(method, found)
      }
    }
    return found
  }

  // One Allow answer per set of methods found at a path, made on first use: there are as
  // many as the app has distinct method sets, whatever clients send, and a 405 then
  // allocates no more than Fastify's own 404.
  const allowAnswers = new Map<string, AllowAnswer>()
  function allowAnswerFor (methods: string[]): AllowAnswer {
    const key = methods.join()
    let found = allowAnswers.get(key)
    if (found === undefined) {
      // Where no OPTIONS route answers, the plugin does.
      const allow = answersOptions && !methods.includes('OPTIONS') ? [...methods, 'OPTIONS'].sort(compareMethods) : methods
      const line = allow.join(', ')
      found = { allow, notAllowedHeaders: withAllow(notAllowedHeaders, line), optionsHeaders: withAllow(optionsHeaders, line) }
      allowAnswers.set(key, found)
    }
    return found
  }

  // Which methods answer at a path depends on the path, the Host and the version alone, and
  // the route table no longer changes once the app is ready (but for sunsets, which forget
  // every answer kept). So the answer for a path asked about recently is kept: a client
  // that repeats a 405 costs one lookup here, not one router lookup per method the app
  // implements (21 with 20 methods), nor a new body. Bounded whatever clients send: paths
  // up to `rememberedLength` characters, at most `rememberedPaths` of them, all forgotten at
  // once when full. A request with Accept-Version is not remembered.
  // null: no route answers there (a catch-all alone does not count).
  function pathAnswerAt (path: string, constraints: Constraints): PathAnswer | null {
    const key = constraints.version === undefined && path.length <= rememberedLength ? path + '\n' + (constraints.host ?? '') : undefined
    let found = key === undefined ? undefined : remembered.get(key)
    if (found === undefined) {
      const here = methodsAt(fastify, candidates, withUnbuiltRoutes, onlyUnbuilt, path, constraints)
      found = here.routed ? { path, methods: allowAnswerFor(here.methods), notAllowed: new Map(), remembered: key !== undefined } : null
      if (key !== undefined) {
        if (remembered.size >= rememberedPaths) forgetPaths()
        remembered.set(key, found)
      }
    }
    return found
  }

  // Hot path of every request Fastify's router did not match.
  return function notImplementedOnNotFound (request, reply, done) {
    // While a sunset is still to come, a clock read and a comparison; once none is (in an
    // app without sunsets, always), one comparison and no clock read.
    if (table.nextSunset !== Infinity && now() >= table.nextSunset) decideAt(now())
    const method = request.raw.method as string
    const url = request.raw.url as string

    if (!implemented.has(method)) {
      answerPrepared(reply, notImplementedAnswer(method))
      return
    }
    if (url === '*' && method === 'OPTIONS' && answersOptions) {
      // `OPTIONS *` asks about the server as a whole (RFC 9110 §9.3.7).
      recordOptions(request)
      sendNoContent(reply, withAllow(optionsHeaders, serverAllow))
      return
    }
    const constraints = constraintsOf(request)
    const path = targetOf(url)
    const here = pathAnswerAt(path, constraints)
    if (here === null) {
      const version = constraints.version
      if (version !== undefined && answersInOtherVersion(method, path, constraints)) {
        const error = new errors.FST_VERSION_NOT_IMPLEMENTED(version, method, path)
        error.statusCode = settings.versionNotImplementedStatus
        error.version = version
        answer(reply, error, versionHeaders)
        return
      }
      done()
      return
    }
    if (method === 'OPTIONS' && answersOptions) {
      recordOptions(request)
      sendNoContent(reply, here.methods.optionsHeaders)
      return
    }
    answerPrepared(reply, notAllowedAnswer(here, method))
  }
}
