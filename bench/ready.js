'use strict'

// Start-up cost, in a fresh process each time (forked by run.js): the time from creating
// the app to `ready()` resolving with `count` routes, for one variant. Modules are loaded
// before the clock starts, so both sides time the same thing: building the app.

const { performance } = require('node:perf_hooks')
const { buildApp } = require('./variants')

const [variant, count] = process.argv.slice(2)

async function main () {
  const start = performance.now()
  const app = buildApp(variant, Number(count))
  await app.ready()
  const ms = performance.now() - start
  await app.close()
  process.send({ ms }, () => process.exit(0))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
