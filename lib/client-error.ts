import { METHODS, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { recordRefusedMethod } from './decisions'
import { fastifyDefaultClientErrorHandler, responseHolding } from './fastify-internals'
import { normalizeOptions, type Settings } from './options'
import { maxMethodLength, methodNotImplemented } from './unknown-method'

// How long a method that Node's parser refused before its first space arrived may take to
// finish arriving. Its packets follow one another within a round trip, or a retransmission
// (200 ms on Linux) when one is lost; a client that stalls longer gets the 400.
const methodWaitMs = 1000

// A method is a token (RFC 9110 §9.1). Empty passes: a method that has not started.
const tokenPrefix = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]*$/

// Node internals this file relies on, checked against Node 20.20.2 (llhttp 9.3.1); the tests
// in test/issues/client-error-split-method.test.ts fail if they change.
//
// 1. The method names Node's parser knows: Node's own list, PRI (the HTTP/2 preface) and the
//    RTSP methods. It refuses the RTSP ones on an HTTP/1.x line only once it has read the
//    protocol (HPE_INVALID_CONSTANT); any other name at the byte where it stops being the
//    start of a known one (HPE_INVALID_METHOD).
const rtspMethods = new Set(['ANNOUNCE', 'DESCRIBE', 'FLUSH', 'GET_PARAMETER', 'PAUSE', 'PLAY', 'RECORD', 'REDIRECT', 'SETUP', 'SET_PARAMETER', 'TEARDOWN'])
// Every start of a name the parser knows, and each whole name followed by its space.
const parserMethodStarts = new Set<string>()
for (const name of [...METHODS, 'PRI', ...rtspMethods]) {
  for (let end = 0; end <= name.length; end++) parserMethodStarts.add(name.slice(0, end))
  parserMethodStarts.add(`${name} `)
}
// 2. A parser that failed stays failed, and Node reports every later packet of that
//    connection through 'clientError' again, with that packet as `rawPacket` (and a
//    meaningless `bytesParsed`). Bytes the parser took, in an earlier packet, as the start
//    of a name it knows are kept nowhere: a method split there cannot be named.
// 3. The response that holds the socket: lib/fastify-internals.ts.

interface ParserError extends Error {
  code?: string
  rawPacket?: Buffer
  bytesParsed?: number
}

// The settings of the plugin registered on an instance, so a `clientErrorHandler` given
// to `Fastify()` before the plugin is registered still answers with the app's Cache-Control.
const settingsByInstance = new WeakMap<object, Settings>()
const defaultSettings = normalizeOptions(undefined)

export function rememberSettings (instance: object, settings: Settings): void {
  settingsByInstance.set(instance, settings)
}

// A connection whose request line is still arriving: its start so far, the error Node
// reported first, and what to stop when the handler stops waiting.
interface Waiting {
  instance: FastifyInstance
  error: ParserError
  head: string
  timer: NodeJS.Timeout
  onClose: () => void
}

// Only connections that hit a client error are here: waiting for the rest of a method, or
// answered (every later packet is reported again, and changes nothing).
const answered = 'answered'
const connections = new WeakMap<Socket, Waiting | typeof answered>()

// What the start of a request line says: its method, `notAMethod` (garbage, too long, or no
// request target), or undefined while its first space has not arrived.
const notAMethod = Symbol('not a method')
type Reading = string | typeof notAMethod | undefined

function methodIn (head: string): Reading {
  const space = head.indexOf(' ')
  const token = space === -1 ? head : head.slice(0, space)
  if (token.length > maxMethodLength || !tokenPrefix.test(token)) return notAMethod
  if (space === -1) return undefined
  return space === 0 ? notAMethod : token
}

// The start of the request line that Node's parser refused (at most one byte past the
// longest method), null when the bytes Node reports cannot say which method it was, or
// undefined for errors that are not about the request line's method.
function refusedLine (error: ParserError): string | null | undefined {
  if (error.code !== 'HPE_INVALID_METHOD' && error.code !== 'HPE_INVALID_CONSTANT') return undefined
  const packet = error.rawPacket
  const stop = error.bytesParsed as number
  if (packet === undefined || !(stop < packet.length)) return null
  // The refused request may follow others on a pipelined connection: its line starts
  // after the last line break before the point where parsing stopped.
  const start = packet.subarray(0, stop).lastIndexOf(0x0a) + 1
  const head = packet.toString('latin1', start, start + maxMethodLength + 1)
  if (error.code === 'HPE_INVALID_CONSTANT') {
    // Refused at the protocol: the whole method is in this packet only if it is one the
    // parser knows but Node does not serve. A served one ("GET /a HTXP/1.1") keeps its 400.
    const method = methodIn(head)
    return typeof method === 'string' && rtspMethods.has(method) ? head : null
  }
  // Refused inside the method: the bytes from the line's start to the refused one must be
  // the start of a name the parser knows, which that byte does not continue. Otherwise the
  // method started in an earlier packet (or after a request body), and is lost.
  const known = packet.toString('latin1', start, stop)
  const refused = known + String.fromCharCode(packet[stop])
  return parserMethodStarts.has(known) && !parserMethodStarts.has(refused) ? head : null
}

function notImplementedResponse (method: string, settings: Settings): string {
  const { status, headers, body } = methodNotImplemented(method, settings)
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    `Content-Type: ${headers['content-type']}\r\n` +
    `Content-Length: ${headers['content-length']}\r\n` +
    (headers['cache-control'] === undefined ? '' : `Cache-Control: ${headers['cache-control']}\r\n`) +
    'Connection: close\r\n\r\n' +
    body
}

// Runs `then` once every response to a request read before the failing one has been sent
// (Node queues pipelined responses and hands the socket to each in turn), so that the
// answers go out in order (RFC 9112 §9.3.2). A connection closed meanwhile gets nothing.
function afterInFlight (socket: Socket, then: () => void): void {
  if (socket.destroyed) return
  const inFlight = responseHolding(socket)
  if (inFlight == null) {
    then()
    return
  }
  inFlight.once('close', () => afterInFlight(socket, then))
}

function sendNotImplemented (instance: FastifyInstance, socket: Socket, method: string): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const settings = settingsByInstance.get(instance) ?? defaultSettings
  recordRefusedMethod(instance.log, settings.logLevel, method)
  socket.end(notImplementedResponse(method, settings), () => socket.destroy())
}

// The answer to a refused request line, once the earlier requests have theirs: 501 naming a
// method, or else Fastify's answer to `error`.
function answer (instance: FastifyInstance, socket: Socket, error: ParserError, method: Exclude<Reading, undefined>): void {
  connections.set(socket, answered)
  afterInFlight(socket, () => {
    if (method === notAMethod) fastifyDefaultClientErrorHandler.call(instance, error, socket)
    else sendNotImplemented(instance, socket, method)
  })
}

function stopWaiting (socket: Socket, waiting: Waiting): void {
  clearTimeout(waiting.timer)
  socket.removeListener('close', waiting.onClose)
}

// Node reported the request line before its method's first space: read its next packets
// (Node reports each one) until the method is whole, or is not one.
function wait (instance: FastifyInstance, socket: Socket, error: ParserError, head: string): void {
  const waiting: Waiting = {
    instance,
    error,
    head,
    timer: setTimeout(() => {
      stopWaiting(socket, waiting)
      answer(instance, socket, error, notAMethod)
    }, methodWaitMs).unref(),
    onClose: () => {
      clearTimeout(waiting.timer)
      connections.set(socket, answered)
    }
  }
  socket.once('close', waiting.onClose)
  connections.set(socket, waiting)
}

function readOn (socket: Socket, waiting: Waiting, error: ParserError): void {
  // Another error (Node's request timeout): stop waiting and answer that one.
  if (error.code !== waiting.error.code || error.rawPacket === undefined) {
    stopWaiting(socket, waiting)
    answer(waiting.instance, socket, error, notAMethod)
    return
  }
  waiting.head += error.rawPacket.toString('latin1', 0, maxMethodLength + 1 - waiting.head.length)
  const method = methodIn(waiting.head)
  if (method === undefined) return
  stopWaiting(socket, waiting)
  answer(waiting.instance, socket, waiting.error, method)
}

// For `Fastify({ clientErrorHandler })`: a well-formed method token that Node's parser does
// not know gets 501 (RFC 9110 §15.6.2: the server does not recognise the method), with
// `Connection: close` because the parser cannot go on reading this connection, after the
// answers to the requests before it. Garbage keeps its 400, and every other client error
// keeps Fastify's default answer. Nothing is added to connections without a client error.
export function clientErrorHandler (this: FastifyInstance, err: Error, socket: Socket): void {
  const state = connections.get(socket)
  if (state === answered) return
  if (state !== undefined) {
    readOn(socket, state, err as ParserError)
    return
  }
  const head = refusedLine(err as ParserError)
  if (head === undefined) {
    fastifyDefaultClientErrorHandler.call(this, err as ParserError, socket)
    return
  }
  const method = head === null ? notAMethod : methodIn(head)
  if (method === undefined) wait(this, socket, err as ParserError, head as string)
  else answer(this, socket, err as ParserError, method)
}
