'use strict'

// One variant's server, in its own process, forked by run.js. It listens on 127.0.0.1
// (port 0) and answers the parent's questions over IPC: the CPU this process spent between
// two marks (process.cpuUsage, user + system) and its memory after a full collection.

const v8 = require('node:v8')
const { buildApp } = require('./variants')

const variant = process.argv[2]

function collect () {
  // Two passes: the first may only schedule finalizers that free more on the second.
  if (typeof global.gc === 'function') {
    global.gc()
    global.gc()
  }
}

async function main () {
  const app = buildApp(variant)
  await app.listen({ host: '127.0.0.1', port: 0 })

  let mark = process.cpuUsage()
  process.on('message', (message) => {
    const { id, type } = message
    if (type === 'cpu-start') {
      mark = process.cpuUsage()
      process.send({ id })
    } else if (type === 'cpu-stop') {
      const spent = process.cpuUsage(mark)
      process.send({ id, micros: spent.user + spent.system })
    } else if (type === 'memory') {
      collect()
      const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
      // The young generation, which V8 grows under a high allocation rate and keeps.
      const newSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size
      process.send({ id, rss, heapUsed, heapTotal, newSpace, external, arrayBuffers })
    } else if (type === 'close') {
      app.close().then(() => process.exit(0), () => process.exit(1))
    }
  })
  // The parent went away (finished, crashed or interrupted): never outlive it.
  process.on('disconnect', () => process.exit(0))
  process.send({ type: 'listening', port: app.server.address().port })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
