import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyInstance } from 'fastify'
import fp = require('fastify-plugin')
import type { CapabilityMatrix } from 'fastify-not-implemented'
import { UsageError, reasonOf } from './errors'

export type App = FastifyInstance & { capabilities?: () => CapabilityMatrix }

// A Fastify instance is thenable (awaiting it waits for `ready`), so an async function never
// returns one bare: the promise would take on the app's readiness instead.
export interface Loaded {
  app: App
}

function isFastify (value: unknown): value is App {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false
  const candidate = value as Record<string, unknown>
  return ['ready', 'inject', 'register', 'route', 'close', 'findRoute'].every((name) => typeof candidate[name] === 'function')
}

// `module.exports = x` and `export default x` both arrive as `default`; a module compiled
// from TypeScript or Babel may nest its `default` once more.
function exportedValue (mod: Record<string, unknown>): unknown {
  let value: unknown = mod.default ?? mod
  if (!isFastify(value) && typeof value === 'object' && value !== null && 'default' in value) {
    value = (value as Record<string, unknown>).default
  }
  return value
}

// A function of (fastify, options) is a plugin: it is registered, unencapsulated, on a new
// instance of the Fastify that the app module itself would load.
async function fromPlugin (plugin: (...args: never[]) => unknown, file: string, name: string): Promise<Loaded> {
  let Fastify: (options?: object) => App
  try {
    Fastify = createRequire(file)('fastify') as typeof Fastify
  } catch (error) {
    throw new UsageError(`${name} exports a plugin, and fastify cannot be loaded from its folder: ${reasonOf(error)}`)
  }
  const app = Fastify()
  // Not encapsulated, as fastify-cli loads an app plugin: its decorators reach the instance.
  app.register(fp(plugin as unknown as Parameters<typeof fp>[0]))
  return { app }
}

async function build (value: unknown, file: string, name: string): Promise<Loaded> {
  if (isFastify(value)) return { app: value }
  if (typeof value !== 'function') {
    throw new UsageError(`${name} exports neither a Fastify instance nor a function that returns one`)
  }
  if (value.length >= 2) return fromPlugin(value as (...args: never[]) => unknown, file, name)
  let built: unknown
  try {
    built = (value as () => unknown)()
    // A Fastify instance is itself thenable (awaiting it waits for ready): only a promise
    // of one is awaited here.
    if (!isFastify(built)) built = await built
  } catch (error) {
    throw new UsageError(`${name}: building the app failed: ${reasonOf(error)}`)
  }
  if (!isFastify(built)) throw new UsageError(`${name} exports a function that does not return a Fastify instance`)
  return { app: built }
}

// Loads an app module (.js, .cjs or .mjs), builds the app and waits until it is ready.
export async function loadApp (specifier: string, cwd: string): Promise<Loaded> {
  const file = resolve(cwd, specifier)
  if (!existsSync(file)) throw new UsageError(`cannot find the app module ${specifier}`)
  let mod: Record<string, unknown>
  try {
    mod = await import(pathToFileURL(file).href) as Record<string, unknown>
  } catch (error) {
    throw new UsageError(`cannot load the app module ${specifier}: ${reasonOf(error)}`)
  }
  const { app } = await build(exportedValue(mod), file, specifier)
  try {
    await app.ready()
  } catch (error) {
    throw new UsageError(`${specifier}: the app failed to start: ${reasonOf(error)}`)
  }
  if (typeof app.capabilities !== 'function') {
    await app.close()
    throw new UsageError(`${specifier}: the app does not register fastify-not-implemented on its root instance, so it has no capability matrix`)
  }
  return { app }
}
