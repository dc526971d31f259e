'use strict'

// The route table every variant serves: the same resources, the same response schema, the
// same handlers. Only how the gated resources are gated differs from variant to variant.

const tiers = ['free', 'plus', 'pro']

// Resources whose routes carry `config: { tier }`; the rest are ungated.
const gatedResources = new Map([
  ['reports', 'plus'],
  ['exports', 'pro']
])

const baseResources = [
  'users', 'orders', 'products', 'invoices', 'teams',
  'projects', 'reports', 'exports', 'webhooks', 'audits'
]

const item = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'string' }
  }
}
const list = { type: 'array', items: item }

const one = { id: '42', name: 'a name', createdAt: '2026-01-01T00:00:00.000Z' }
const many = [one, one]

function getList (request, reply) {
  reply.send(many)
}

function getOne (request, reply) {
  reply.send(one)
}

function created (request, reply) {
  reply.code(201).send(one)
}

function removed (request, reply) {
  reply.code(204).send()
}

// Five routes per resource: two static (GET, POST /r), three parametric (GET, PUT,
// DELETE /r/:id). No route anywhere answers PATCH, so PATCH is "a method no route has".
function routesOf (name, tier) {
  const config = tier === undefined ? undefined : { tier }
  return [
    { method: 'GET', url: `/${name}`, handler: getList, schema: { response: { 200: list } } },
    { method: 'POST', url: `/${name}`, handler: created, schema: { response: { 201: item } } },
    { method: 'GET', url: `/${name}/:id`, handler: getOne, schema: { response: { 200: item } } },
    { method: 'PUT', url: `/${name}/:id`, handler: getOne, schema: { response: { 200: item } } },
    { method: 'DELETE', url: `/${name}/:id`, handler: removed }
  ].map((route) => config === undefined ? route : { ...route, config })
}

// 50 routes (10 resources), or `count` routes for the start-up measurement, in which one
// resource in five is gated.
function routeTable (count = 50) {
  const routes = []
  for (let i = 0; routes.length < count; i++) {
    const base = baseResources[i % baseResources.length]
    const round = Math.floor(i / baseResources.length)
    const name = round === 0 ? base : `${base}${round}`
    for (const route of routesOf(name, gatedResources.get(base))) {
      if (routes.length < count) routes.push(route)
    }
  }
  return routes
}

module.exports = { tiers, routeTable }
