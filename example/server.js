'use strict'

const build = require('./app')

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'

// Each line shows one answer of the plugin.
const tries = (base) => [
  ['405 Method Not Allowed, with Allow', `curl -i -X PUT ${base}/users`],
  ['501 method no route implements', `curl -i -X PATCH ${base}/users/1`],
  ['501 for a method Node does not know', `curl -i -X BREW ${base}/pot`],
  ['404 stays 404 where nothing is routed', `curl -i ${base}/nothing-here`],
  ['204 OPTIONS with Allow', `curl -i -X OPTIONS ${base}/users/1`],
  ['501 plan too low (free)', `curl -i -H 'x-api-key: free-key' ${base}/reports`],
  ['200 plan high enough (plus)', `curl -i -H 'x-api-key: plus-key' ${base}/reports`],
  ['501 feature off', `curl -i -X POST -H 'x-api-key: pro-key' ${base}/exports`],
  ['202 feature on', `curl -i -X POST -H 'x-api-key: plus-key' ${base}/exports`],
  ['503 plan service down (fails closed)', `curl -i -H 'x-api-key: broken-key' ${base}/reports`],
  ['501 declared, not built', `curl -i -X POST ${base}/invoices`],
  ['501 version not implemented', `curl -i -H 'Accept-Version: 2.0.0' ${base}/search`],
  ['200 version that exists', `curl -i -H 'Accept-Version: 1.0.0' ${base}/search`],
  ['200 deprecated, with Deprecation, Sunset and Link', `curl -i ${base}/v1/users`],
  ['410 retired endpoint', `curl -i ${base}/v0/users`]
]

async function main () {
  const app = build({ logger: { level: process.env.LOG_LEVEL ?? 'warn' } })
  await app.listen({ port, host })
  const base = `http://localhost:${app.server.address().port}`
  const { user, system } = process.cpuUsage()
  const cpuMs = Math.round((user + system) / 1000)
  console.log(`fastify-not-implemented demo listening on ${base} (ready ${Math.round(performance.now())} ms after start, ${cpuMs} ms of CPU) — try:\n`)
  for (const [what, command] of tries(base)) console.log(`# ${what}\n${command}\n`)
  console.log('Ctrl-C to stop.')

  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => app.close().then(() => process.exit(0), fail))
  }
}

// One line, no stack: the port is taken, say.
function fail (error) {
  console.error(`demo: ${error.message}`)
  process.exit(1)
}

main().catch(fail)
