import type { RouteOptions } from 'fastify'
import type { RouteGate } from './route-gate'
import type { Lifecycle } from './lifecycle'

// Every route the plugin sees, read once, in its onRoute hook, into one record that the
// ready-time gate check, the method table (501/405/Allow), the capability matrix and the
// OpenAPI annotations all read.
export interface RouteRecord {
  // The route options object itself: later onRoute hooks change this very object, Fastify
  // builds the route from it, and @fastify/swagger reads its `schema` when it documents.
  readonly route: RouteOptions
  readonly url: string
  // Upper-case, as the router matches them.
  readonly methods: readonly string[]
  // `constraints.version`, when the route is versioned.
  readonly version: string | undefined
  // What its config asks of the plugin; undefined for a route that asks nothing.
  readonly gate: RouteGate | undefined
  // false for a route declared with `implemented: false`.
  readonly built: boolean
  // `schema.hide`: left out of the OpenAPI document.
  readonly hidden: boolean
  // Deprecated or retired; undefined for a route that is neither.
  readonly lifecycle: Lifecycle | undefined
  // The plugin's hooks on the route, and the value of its constraint, which the ready-time
  // check finds there again.
  readonly hooks: PluginHooks
  // Whether the route is part of the API the plugin describes: the capability route is not.
  readonly described: boolean
}

export interface PluginHooks {
  onRequest: readonly unknown[]
  onSend: readonly unknown[]
  constraint: string | undefined
}

// A route that asks nothing of the plugin gets no hooks and no constraint: one record of
// that for all of them.
export const noHooks: PluginHooks = Object.freeze({ onRequest: Object.freeze([]), onSend: Object.freeze([]), constraint: undefined })

// The methods of a route declared with one method (nearly every route): one array per
// method, shared by the records, which only read it.
const singleMethods = new Map<string, readonly string[]>()

function methodsOf (method: RouteOptions['method']): readonly string[] {
  if (Array.isArray(method)) return method.map((name) => name.toUpperCase())
  let methods = singleMethods.get(method)
  if (methods === undefined) singleMethods.set(method, (methods = Object.freeze([method.toUpperCase()])))
  return methods
}

export function recordRoute (route: RouteOptions, gate: RouteGate | undefined, lifecycle: Lifecycle | undefined, hooks: PluginHooks, described: boolean): RouteRecord {
  const version = (route.constraints as Record<string, unknown> | undefined)?.version
  const schema = route.schema as Record<string, unknown> | undefined
  return {
    route,
    url: route.url,
    methods: methodsOf(route.method),
    version: typeof version === 'string' ? version : undefined,
    gate,
    built: gate === undefined || gate.implemented,
    hidden: schema?.hide === true,
    lifecycle,
    hooks,
    described
  }
}
