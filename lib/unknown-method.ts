import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { FastifyBaseLogger } from 'fastify'
import { errors } from './errors'
import type { Settings } from './options'
import { problemContentType, problemOf } from './problem'
import { recordRefusedMethod } from './decisions'

// The 501 for a method that no router of the app knows, which therefore never reaches a
// route's lifecycle: one Node's HTTP/1.1 parser refused (client-error.ts), or any token an
// HTTP/2 client sends, which Fastify's not-found router would answer 404. Fastify made no
// request of it, so the plugin answers it alone: no hook runs.

// The longest method answered with 501: a longer token is a scanner's noise and keeps its
// 400 (HTTP/1.1) or 404 (HTTP/2).
export const maxMethodLength = 32

// A method is a token (RFC 9110 §9.1).
const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

export interface RawAnswer {
  status: number
  // Lower-case names; Content-Type, Content-Length and, unless configured off, Cache-Control.
  headers: Record<string, string>
  body: string
}

export function methodNotImplemented (method: string, settings: Settings): RawAnswer {
  const status = 501
  const error = new errors.FST_METHOD_NOT_IMPLEMENTED(method)
  const problemType = settings.problemTypes?.FST_METHOD_NOT_IMPLEMENTED
  const body = JSON.stringify(problemType === undefined
    ? { statusCode: status, code: error.code, error: STATUS_CODES[status], message: error.message }
    : problemOf(error, problemType))
  const headers: Record<string, string> = {
    'content-type': problemType === undefined ? 'application/json; charset=utf-8' : problemContentType,
    'content-length': String(Buffer.byteLength(body))
  }
  const cacheControl = settings.cacheControl.FST_METHOD_NOT_IMPLEMENTED
  if (cacheControl !== false) headers['cache-control'] = cacheControl
  return { status, headers, body }
}

// Answers a request whose method no router of the app knows with 501, and says whether it
// did: what is not a method token of at most `maxMethodLength` characters is left to
// Fastify's 404.
export function buildUnroutedMethodAnswer (settings: Settings, log: FastifyBaseLogger): (req: IncomingMessage, res: ServerResponse) => boolean {
  return function answerUnroutedMethod (req, res) {
    const method = req.method as string
    if (method.length > maxMethodLength || !token.test(method)) return false
    const answer = methodNotImplemented(method, settings)
    recordRefusedMethod(log, settings.logLevel, method)
    res.writeHead(answer.status, answer.headers)
    res.end(answer.body)
    return true
  }
}
