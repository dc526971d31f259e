'use strict'

// Start-up, counted (forked under callgrind by count.js): loads every module, says so, and
// on the word builds one variant's app with `count` routes and awaits `ready()`, so that the
// counters, zeroed in between, hold the building alone.

const { buildApp } = require('./variants')

const [variant, count] = process.argv.slice(2)

process.on('message', async (message) => {
  if (message.type === 'go') {
    const app = buildApp(variant, Number(count))
    await app.ready()
    process.send({ type: 'ready' })
    process.once('message', () => app.close().then(() => process.exit(0)))
  } else if (message.type === 'close') {
    process.exit(0)
  }
})
process.on('disconnect', () => process.exit(0))
process.send({ type: 'loaded' })
