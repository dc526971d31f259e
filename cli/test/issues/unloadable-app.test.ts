import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { root, runCli, type Result } from '../helpers/cli'

// Issue 10, item 16: `matrix` and `audit` on an app that registered the plugin without
// `await` printed "0 methods on 0 paths" (and, in `audit`, 501s for routes the app has) and
// exited 0. The plugin now refuses to start such an app; the tool turns any failure to load
// or start the app into exit 2 with the first line of the reason on stderr, never a stack,
// and refuses an app that does not register the plugin at all.

const bin = join(root, 'bin', 'fastify-not-implemented.js')
const fixture = (name: string): string => `test/fixtures/${name}`
const spec = fixture('specs/one.yaml')

function spawnCli (argv: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...argv], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr })
    })
  })
}

// The first line of what the app itself throws, as building it or making it ready.
async function refusal (name: string): Promise<{ stage: string, reason: string }> {
  const build = require(`../fixtures/${name}`) as () => FastifyInstance | Promise<FastifyInstance>
  let app: FastifyInstance
  try {
    // A Fastify instance is thenable (awaiting it waits for ready): only a promise is awaited.
    const built = build()
    app = built instanceof Promise ? await built : built
  } catch (error) {
    return { stage: 'building the app failed', reason: (error as Error).message.split('\n')[0] }
  }
  try {
    await app.ready()
  } catch (error) {
    return { stage: 'the app failed to start', reason: (error as Error).message.split('\n')[0] }
  }
  throw new Error(`${name} started`)
}

const commands = (app: string): string[][] => [['matrix', app], ['matrix', app, '--json'], ['audit', app, '--openapi', spec], ['audit', app, '--openapi', spec, '--json']]

test('an app whose ready() rejects: exit 2 and the first line of the reason', async (t) => {
  const app = fixture('ready-rejects.cjs')
  const stderr = `fastify-not-implemented: ${app}: the app failed to start: fastify-not-implemented: 1 route(s) were declared before the plugin loaded: GET /reports; register it once, at the root, before any route\n`
  for (const argv of commands(app)) {
    t.same(await runCli(argv), { code: 2, stdout: '', stderr }, argv.join(' '))
  }
  t.same(await spawnCli(['matrix', app]), { code: 2, stdout: '', stderr }, 'the bin')
})

test('an app that does not register the plugin: exit 2, saying so', async (t) => {
  const app = fixture('no-plugin.cjs')
  const stderr = `fastify-not-implemented: ${app}: the app does not register fastify-not-implemented on its root instance, so it has no capability matrix\n`
  for (const argv of commands(app)) {
    t.same(await runCli(argv), { code: 2, stdout: '', stderr }, argv.join(' '))
  }
  t.same(await spawnCli(['audit', app, '--openapi', spec]), { code: 2, stdout: '', stderr }, 'the bin')
})

test('an app that registers the plugin without await, then a gated route: exit 2, the plugin\'s reason', async (t) => {
  const app = fixture('unawaited.cjs')
  const { stage, reason } = await refusal('unawaited.cjs')
  t.equal(stage, 'the app failed to start')
  t.match(reason, /^fastify-not-implemented: 1 route\(s\) were declared before the plugin loaded, .*\/reports \(GET, HEAD\).*`await app.register\(notImplemented, options\)`/)
  const stderr = `fastify-not-implemented: ${app}: the app failed to start: ${reason}\n`
  for (const argv of commands(app)) {
    t.same(await runCli(argv), { code: 2, stdout: '', stderr }, argv.join(' '))
  }
  t.same(await spawnCli(['matrix', app]), { code: 2, stdout: '', stderr }, 'the bin')
})

test('an app that registers the plugin in an encapsulated context: exit 2, the plugin\'s reason', async (t) => {
  const app = fixture('child-context.cjs')
  const { stage, reason } = await refusal('child-context.cjs')
  t.equal(stage, 'building the app failed')
  t.match(reason, /^fastify-not-implemented: registered inside an encapsulated plugin, .*register it once, at the root/)
  const stderr = `fastify-not-implemented: ${app}: building the app failed: ${reason}\n`
  for (const argv of commands(app)) {
    t.same(await runCli(argv), { code: 2, stdout: '', stderr }, argv.join(' '))
  }
})
