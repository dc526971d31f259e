import type { FastifyRequest } from 'fastify'

// The part of an ioredis client the entitlement cache uses. The plugin never loads ioredis
// itself: it uses the client it is given, and `duplicate()` of it for the subscription.
export interface RedisLike {
  status: string
  duplicate (): RedisSubscriberLike
  mget (...keys: string[]): Promise<Array<string | null>>
  set (key: string, value: string, ...args: Array<string | number>): Promise<unknown>
  eval (script: string, keyCount: number, ...args: Array<string | number>): Promise<unknown>
  publish (channel: string, message: string): Promise<number>
}

export interface RedisSubscriberLike {
  subscribe (...channels: string[]): Promise<unknown>
  on (event: 'message', listener: (channel: string, message: string) => void): unknown
  on (event: 'ready' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown
  disconnect (): void
}

export type TenantKey = (request: FastifyRequest) => string | undefined

export interface TierCacheOptions {
  key: TenantKey
  ttl?: number
  staleIfError?: number
  max?: number
  redis?: RedisLike
}

export interface TierCacheSettings {
  key: TenantKey
  ttl: number
  staleIfError: number
  max: number
  redis: RedisLike | undefined
}

export const defaultTierTtl = 30_000 // ms
export const defaultStaleIfError = 300_000 // ms
export const defaultTierCacheMax = 10_000 // tenants
// ttl and staleIfError become Redis expiries and timer delays: keep their sum a valid delay.
const maxWindow = 2147483647 // ms

const knownKeys = ['key', 'ttl', 'staleIfError', 'max', 'redis']
const redisMethods = ['duplicate', 'mget', 'set', 'eval', 'publish'] as const

function fail (message: string): never {
  throw new TypeError(`fastify-not-implemented: ${message}`)
}

function show (value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}

function wholeNumber (options: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const value = options[name]
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(`option "tierCache.${name}" must be a whole number from ${min} to ${max}, got ${show(value)}`)
  }
  return value
}

function normalizeRedis (value: unknown): RedisLike | undefined {
  if (value === undefined) return undefined
  const missing = value === null || typeof value !== 'object'
    ? [...redisMethods]
    : redisMethods.filter((method) => typeof (value as Record<string, unknown>)[method] !== 'function')
  if (missing.length > 0) {
    fail(`option "tierCache.redis" must be an ioredis client (new Redis(...)); it has no ${missing.join(', ')}`)
  }
  return value as RedisLike
}

// Checked once, at registration: every field, and no key the cache would not read.
export function normalizeTierCache (value: unknown, hasResolver: boolean): TierCacheSettings | undefined {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail('option "tierCache" must be an object such as { key: (request) => request.headers[\'x-tenant\'] }')
  }
  const options = value as Record<string, unknown>
  for (const name of Object.keys(options)) {
    if (!knownKeys.includes(name)) fail(`option "tierCache" has an unknown key "${name}"; known keys: ${knownKeys.join(', ')}`)
  }
  if (!hasResolver) fail('option "tierCache" caches what "resolveTier" answers, and there is no "resolveTier" option')
  if (typeof options.key !== 'function') {
    fail(`option "tierCache.key" must be a function that names the caller's tenant (request) => string | undefined, got ${typeof options.key}`)
  }
  const ttl = wholeNumber(options, 'ttl', defaultTierTtl, 1, maxWindow)
  const staleIfError = wholeNumber(options, 'staleIfError', defaultStaleIfError, 0, maxWindow - ttl)
  return {
    key: options.key as TenantKey,
    ttl,
    staleIfError,
    max: wholeNumber(options, 'max', defaultTierCacheMax, 1, Number.MAX_SAFE_INTEGER),
    redis: normalizeRedis(options.redis)
  }
}
