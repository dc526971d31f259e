import { METHODS, STATUS_CODES, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { METHOD_NOT_IMPLEMENTED } from './codes'
import { errors } from './errors'
import { normalizeOptions, type Settings } from './options'

// A request line's method: a token (RFC 9110 §9.1) followed by a space. Longer "methods"
// are not worth a 501: a scanner's noise keeps its 400.
const methodPattern = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}) /

// The settings of the plugin registered on an instance, so a `clientErrorHandler` given
// to `Fastify()` before the plugin is registered still answers with the app's Cache-Control.
const settingsByInstance = new WeakMap<object, Settings>()
const defaultSettings = normalizeOptions(undefined)

// Connections with a 501 on its way: the parser reports its error again for every chunk
// that arrives meanwhile.
const answering = new WeakSet<Socket>()

export function rememberSettings (instance: object, settings: Settings): void {
  settingsByInstance.set(instance, settings)
}

interface ParserError extends Error {
  code?: string
  rawPacket?: Buffer
  bytesParsed?: number
}

// Node's parser refuses any method it does not know (BREW, FOO) before Fastify sees the
// request (HPE_INVALID_METHOD). It also knows the RTSP methods (DESCRIBE, SETUP, PLAY, ...)
// and refuses those on an HTTP/1.x line with another error (HPE_INVALID_CONSTANT), which a
// bad protocol name after a method it serves ("GET /a HTXP/1.1") shares: that one keeps
// its 400. Returns the refused method when it is a well-formed token on a request line.
const servedMethods = new Set(METHODS)

function refusedMethod (error: ParserError): string | undefined {
  if (error.code !== 'HPE_INVALID_METHOD' && error.code !== 'HPE_INVALID_CONSTANT') return undefined
  const packet = error.rawPacket as Buffer
  // The refused request may follow others on a pipelined connection: its line starts
  // after the last line break before the point where parsing stopped.
  const start = packet.subarray(0, error.bytesParsed).lastIndexOf(0x0a) + 1
  const method = methodPattern.exec(packet.toString('latin1', start, start + 64))?.[1]
  return method === undefined || servedMethods.has(method) ? undefined : method
}

function notImplementedResponse (method: string, cacheControl: string | false): string {
  const status = 501
  const error = new errors.FST_METHOD_NOT_IMPLEMENTED(method)
  const body = JSON.stringify({ statusCode: status, code: error.code, error: STATUS_CODES[status], message: error.message })
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    (cacheControl === false ? '' : `Cache-Control: ${cacheControl}\r\n`) +
    'Connection: close\r\n\r\n' +
    body
}

// Runs `then` once every response to a request read before the failing one has been sent
// (Node queues pipelined responses and hands the socket to each in turn), so that the
// answers go out in order (RFC 9112 §9.3.2).
function afterInFlight (socket: Socket, then: () => void): void {
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
  if (inFlight == null) {
    then()
    return
  }
  inFlight.once('close', () => afterInFlight(socket, then))
}

// Fastify's own default client error handler (fastify.js, `defaultClientErrorHandler`),
// which an app gives up by passing its own, so every other client error is answered
// exactly as before. (A connection reset by the peer is already destroyed.)
function fastifyDefault (this: FastifyInstance, err: ParserError, socket: Socket): void {
  if (socket.destroyed) return
  let body, errorCode, errorLabel
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    errorCode = '408'
    body = `{"error":"${STATUS_CODES[errorCode]}","message":"Client Timeout","statusCode":408}`
    errorLabel = 'timeout'
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    errorCode = '431'
    body = `{"error":"${STATUS_CODES[errorCode]}","message":"Exceeded maximum allowed HTTP header size","statusCode":431}`
    errorLabel = 'header_overflow'
  } else {
    errorCode = '400'
    body = `{"error":"${STATUS_CODES[errorCode]}","message":"Client Error","statusCode":400}`
    errorLabel = 'error'
  }
  this.log.trace({ err }, `client ${errorLabel}`)
  socket.write(`HTTP/1.1 ${errorCode} ${STATUS_CODES[errorCode]}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\n\r\n${body}`)
  socket.destroy(err)
}

// For `Fastify({ clientErrorHandler })`: a well-formed method token that Node's parser does
// not know gets 501 (RFC 9110 §15.6.2: the server does not recognise the method), with
// `Connection: close` because the parser cannot go on reading this connection. Garbage
// keeps its 400, and every other client error keeps Fastify's default answer.
export function clientErrorHandler (this: FastifyInstance, err: Error, socket: Socket): void {
  if (answering.has(socket)) return
  const method = refusedMethod(err as ParserError)
  if (method === undefined) {
    fastifyDefault.call(this, err as ParserError, socket)
    return
  }
  answering.add(socket)
  const settings = settingsByInstance.get(this) ?? defaultSettings
  if (settings.logLevel !== 'silent') {
    this.log[settings.logLevel]({ notImplemented: { code: METHOD_NOT_IMPLEMENTED, statusCode: 501, method } }, `Method ${method} is not implemented by this server`)
  }
  const response = notImplementedResponse(method, settings.cacheControl[METHOD_NOT_IMPLEMENTED])
  afterInFlight(socket, () => socket.end(response, () => socket.destroy()))
}
