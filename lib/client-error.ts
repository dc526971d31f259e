import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { METHOD_NOT_IMPLEMENTED } from './codes'
import { errors } from './errors'
import { defaultCacheControl, type Settings } from './options'

// RFC 9110 §9.1: a method is a token.
const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// Longer "methods" are not worth a 501: a scanner's noise keeps its 400.
const maxMethodLength = 32

// The settings of the plugin registered on an instance, so a `clientErrorHandler` given
// to `Fastify()` before the plugin is registered still answers with the app's Cache-Control.
const settingsByInstance = new WeakMap<object, Settings>()

export function rememberSettings (instance: object, settings: Settings): void {
  settingsByInstance.set(instance, settings)
}

interface ParserError extends Error {
  code?: string
  rawPacket?: Buffer
  bytesParsed?: number
}

// Node's parser refuses any method it does not know (BREW, FOO) before Fastify sees the
// request. Returns that method when it is a well-formed token on a request line.
function refusedMethod (error: ParserError): string | undefined {
  const packet = error.rawPacket
  if (error.code !== 'HPE_INVALID_METHOD' || packet === undefined) return undefined
  // The failing request may follow others on a pipelined connection: its line starts
  // after the last line break before the point where parsing stopped.
  const stop = Math.min(error.bytesParsed ?? 0, packet.length)
  const start = packet.lastIndexOf(0x0a, stop === 0 ? 0 : stop - 1) + 1
  const space = packet.indexOf(0x20, start)
  if (space === -1 || space - start > maxMethodLength) return undefined
  const method = packet.toString('latin1', start, space)
  return tokenPattern.test(method) ? method : undefined
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

// Fastify's own default client error handler (fastify.js, `defaultClientErrorHandler`),
// which an app gives up by passing its own: kept word for word so every other client
// error is answered exactly as before.
function fastifyDefault (this: FastifyInstance, err: ParserError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
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
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${errorCode} ${STATUS_CODES[errorCode]}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\n\r\n${body}`)
  }
  socket.destroy(err)
}

// For `Fastify({ clientErrorHandler })`: a well-formed method token that Node's parser does
// not know gets 501 (RFC 9110 §15.6.2: the server does not recognise the method), with
// `Connection: close` because the parser cannot go on reading this connection. Garbage
// keeps its 400, and every other client error keeps Fastify's default answer.
export function clientErrorHandler (this: FastifyInstance, err: Error, socket: Socket): void {
  const method = refusedMethod(err as ParserError)
  if (method === undefined || !socket.writable) {
    fastifyDefault.call(this, err as ParserError, socket)
    return
  }
  const settings = settingsByInstance.get(this)
  const cacheControl = settings === undefined ? defaultCacheControl[METHOD_NOT_IMPLEMENTED] : settings.cacheControl[METHOD_NOT_IMPLEMENTED]
  if (settings?.logLevel !== 'silent') {
    this.log[settings?.logLevel ?? 'info']({ notImplemented: { code: METHOD_NOT_IMPLEMENTED, statusCode: 501, method } }, `Method ${method} is not implemented by this server`)
  }
  socket.end(notImplementedResponse(method, cacheControl), () => socket.destroy())
}
