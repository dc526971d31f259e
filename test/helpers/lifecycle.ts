import Fastify from 'fastify'
import notImplemented = require('../..')

// The error the app fails to start with when a route declares this `deprecation`, or
// undefined when it starts.
export async function startUpError (deprecation: Record<string, unknown>): Promise<unknown> {
  const app = Fastify()
  await app.register(notImplemented)
  try {
    app.get('/old', { config: { deprecation: deprecation as never } }, async () => 'old')
    await app.ready()
  } catch (error) {
    return error
  } finally {
    await app.close()
  }
  return undefined
}
