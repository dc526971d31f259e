'use strict'

// The pairs `npm run bench` counts instructions for: one row each. A row names the two
// variants (variants.js), the requests both get (a scenario of pairs.js, the same requests
// in the same order), the statuses each must answer with, and the target for the median
// ratio A / B. A pair that needs a feature the plugin may not have yet names a probe:
// while the probe finds the feature absent, the row is printed as skipped, with the reason.

const { scenarios } = require('./pairs')

const atMost = (value) => ({ op: '<=', value })

// A 12 KB query string on each request of the 405 scenario.
const longQuery = '?q=' + 'x'.repeat(12 * 1024)
scenarios.notAllowedLongQuery = scenarios.notAllowed.map((request) => ({ ...request, path: request.path + longQuery }))

// Whether building `variant` fails the way a plugin without the option fails: at start-up,
// naming the option. Returns why the feature is absent, or undefined when it is there.
async function refusesOption (variant, option) {
  const { buildApp } = require('./variants')
  const app = buildApp(variant)
  try {
    await app.ready()
    return undefined
  } catch (error) {
    if (error instanceof TypeError && error.message.includes(option)) return `the plugin refuses the \`${option}\` option (${error.message.slice(0, 80)}...)`
    throw error
  } finally {
    await app.close()
  }
}

// Whether the plugin validates `config.deprecation`: one that has it refuses an unparsable
// date at start-up (when the route is declared, in its onRoute hook); one without it
// ignores the key.
async function ignoresDeprecation () {
  const Fastify = require('fastify')
  const app = Fastify()
  await app.register(require('..'))
  try {
    app.get('/probe', { config: { deprecation: { date: 'not a date' } } }, () => '')
    await app.ready()
    return 'the plugin accepts `config.deprecation` with an unparsable date: it does not read the key'
  } catch {
    return undefined
  } finally {
    await app.close()
  }
}

const countPairs = [
  {
    id: '0',
    title: 'A/A control: bare Fastify / bare Fastify',
    a: 'bare',
    b: 'bare#2',
    scenario: 'ungated',
    status: { a: [200], b: [200] },
    target: null
  },
  {
    id: '1',
    title: 'ungated route: plugin / bare Fastify',
    a: 'plugin',
    b: 'bare',
    scenario: 'ungated',
    status: { a: [200], b: [200] },
    target: atMost(1.003)
  },
  {
    id: '2',
    title: 'gated, allowed, sync resolver: plugin / hand-written onRequest',
    a: 'plugin',
    b: 'hand',
    scenario: 'gatedAllowed',
    status: { a: [200], b: [200] },
    target: atMost(1.02)
  },
  {
    id: '2a',
    title: 'gated, allowed, async resolver: plugin / hand-written onRequest',
    a: 'plugin-async',
    b: 'hand-async',
    scenario: 'gatedAllowed',
    status: { a: [200], b: [200] },
    target: null
  },
  {
    id: '2c',
    title: 'gated, allowed: cached tier (tierCache) / uncached sync resolver',
    a: 'plugin-tier-cache',
    b: 'plugin',
    scenario: 'gatedAllowed',
    status: { a: [200], b: [200] },
    target: atMost(1.02),
    absent: () => refusesOption('plugin-tier-cache', 'tierCache')
  },
  {
    id: '3',
    title: 'gated, denied (501): plugin / hand-written onRequest',
    a: 'plugin',
    b: 'hand',
    scenario: 'gatedDenied',
    status: { a: [501], b: [501] },
    target: atMost(1.00)
  },
  {
    id: '4',
    title: '405 from the plugin / Fastify\'s 404 for the same request',
    a: 'plugin',
    b: 'bare',
    scenario: 'notAllowed',
    status: { a: [405], b: [404] },
    target: atMost(1.00)
  },
  {
    id: '4q',
    title: '405 / Fastify\'s 404, with a 12 KB query string',
    a: 'plugin',
    b: 'bare',
    scenario: 'notAllowedLongQuery',
    status: { a: [405], b: [404] },
    target: atMost(1.00)
  },
  {
    id: '4m',
    title: '405 / Fastify\'s 404, 20 methods implemented app-wide',
    a: 'plugin-20-methods',
    b: 'bare-20-methods',
    scenario: 'notAllowed',
    status: { a: [405], b: [404] },
    target: atMost(1.00)
  },
  {
    id: '5',
    title: '501 (method no route has) from the plugin / Fastify\'s 404',
    a: 'plugin',
    b: 'bare',
    scenario: 'unknownMethod',
    status: { a: [501], b: [404] },
    target: atMost(0.97)
  },
  {
    id: '6',
    title: '405 from the plugin / 405 from fastify-allow',
    a: 'plugin',
    b: 'fastify-allow',
    scenario: 'notAllowed',
    status: { a: [405], b: [405] },
    target: atMost(0.95)
  },
  {
    id: '9',
    title: 'denials, unsubscribed diagnostics channel / no channel code',
    a: 'plugin-silent',
    b: 'plugin-silent-no-channel',
    scenario: 'denials',
    status: { a: [405, 501], b: [405, 501] },
    target: atMost(1.003)
  },
  {
    id: '10',
    title: 'route with `deprecation` before its sunset / the same without',
    a: 'plugin-deprecation',
    b: 'plugin',
    scenario: 'ungated',
    status: { a: [200], b: [200] },
    target: atMost(1.003),
    absent: ignoresDeprecation
  }
]

// Instructions to build the app and reach `ready()` with this many routes, all with response
// schemas (routes.js), A / B; the plugin as configured by default, and with the option that
// registers its shared schemas.
const readyRoutes = 5000
const readyPairs = [
  {
    id: '7',
    title: 'ready() with 5,000 routes: plugin / bare Fastify',
    a: 'plugin',
    b: 'bare',
    target: atMost(1.05)
  },
  {
    id: '7s',
    title: 'ready() with 5,000 routes: plugin with sharedSchemas / bare Fastify',
    a: 'plugin-shared-schemas',
    b: 'bare',
    target: null
  }
]

module.exports = { countPairs, readyPairs, readyRoutes }
