import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import notImplemented = require('fastify-not-implemented')
import { runCli, type Result } from './helpers/cli'

// `parity <url>...` against instances really listening on loopback.

interface Teardown { teardown: (fn: () => unknown) => void }

const root = resolve(__dirname, '..')
const bin = join(root, 'bin', 'fastify-not-implemented.js')
const ok = async (): Promise<{ ok: boolean }> => ({ ok: true })

function spawnCli (argv: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...argv], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr })
    })
  })
}

async function listen (t: Teardown, app: FastifyInstance): Promise<string> {
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP')
  return `http://127.0.0.1:${address.port}`
}

interface Build { lacksDelete?: boolean, postTier?: string, capabilitiesRoute?: false | string | { url: string, config: { tier: string } } }

// One deploy of the same API; `lacksDelete` and `postTier` make a node that drifted.
async function instance (t: Teardown, { lacksDelete = false, postTier = 'plus', capabilitiesRoute = '/.well-known/capabilities' }: Build = {}): Promise<string> {
  const app = Fastify()
  await app.register(notImplemented, {
    tiers: ['free', 'plus', 'pro'],
    resolveTier: (request) => request.headers['x-tier'] as string | undefined,
    ...(capabilitiesRoute === false ? {} : { capabilitiesRoute })
  })
  app.get('/pets', ok)
  app.post('/pets', { config: { tier: postTier } }, ok)
  app.get('/pets/:petId', ok)
  if (!lacksDelete) app.delete('/pets/:petId', ok)
  const origin = await listen(t, app)
  return typeof capabilitiesRoute === 'string' ? `${origin}${capabilitiesRoute}` : origin
}

test('three instances, one built without a route: exit 1 and what it lacks', async (t) => {
  const a = await instance(t)
  const b = await instance(t)
  const c = await instance(t, { lacksDelete: true, postTier: 'pro' })
  const res = await runCli(['parity', a, b, c])
  t.equal(res.code, 1)
  t.equal(res.stderr, '')
  const digest = (url: string): string => res.stdout.split('\n').find((line) => line.includes(url))?.split('digest ')[1] ?? ''
  t.equal(digest(a), digest(b))
  t.not(digest(a), digest(c))
  t.match(digest(a), /^[0-9a-f]{12}$/)
  t.equal(res.stdout, `parity of 3 instances
  ${a}  digest ${digest(a)}
  ${b}  digest ${digest(b)}
  ${c}  digest ${digest(c)}

Capabilities some instances lack (3):
  DELETE /pets/:petId     missing on ${c}
  POST /pets [tier plus]  missing on ${c}
  POST /pets [tier pro]   missing on ${a}, ${b}

drift: 3 capabilities differ
`)

  const json = await runCli(['parity', a, b, c, '--json'])
  t.equal(json.code, 1)
  const report = JSON.parse(json.stdout)
  t.same(report.differences, [
    { capability: { path: '/pets/:petId', method: 'DELETE', implemented: true }, presentOn: [a, b], missingOn: [c] },
    { capability: { path: '/pets', method: 'POST', implemented: true, tier: 'plus' }, presentOn: [a, b], missingOn: [c] },
    { capability: { path: '/pets', method: 'POST', implemented: true, tier: 'pro' }, presentOn: [c], missingOn: [a, b] }
  ])
  t.same(report.instances.map((i: { url: string }) => i.url), [a, b, c])
  t.match(report.instances[0].digest, /^[0-9a-f]{64}$/)
})

test('instances with the same routes and gates agree: exit 0', async (t) => {
  const a = await instance(t)
  const b = await instance(t)
  const res = await runCli(['parity', a, b])
  t.equal(res.code, 0)
  t.equal(res.stderr, '')
  t.match(res.stdout, /^parity of 2 instances\n/)
  t.match(res.stdout, '\n\nno drift: every instance has the same capabilities\n')
  const json = await runCli(['parity', a, b, '--json'])
  t.same(JSON.parse(json.stdout).differences, [])
})

test('every kind of gate, version and flag is part of a capability', async (t) => {
  const build = async (variant: boolean): Promise<string> => {
    const app = Fastify()
    await app.register(notImplemented, { tiers: ['free', 'pro'], resolveTier: () => 'pro', isFeatureEnabled: () => true, capabilitiesRoute: '/caps' })
    app.get('/a', { config: { feature: variant ? 'f2' : 'f1', tier: 'pro' } }, ok)
    app.get('/v', { constraints: { version: variant ? '2.0.0' : '1.0.0' } }, ok)
    app.get('/h', { schema: { hide: variant } as object }, ok)
    if (variant) app.declareRoute({ method: 'PUT', url: '/a' })
    return `${await listen(t, app)}/caps`
  }
  const a = await build(false)
  const b = await build(true)
  const res = await runCli(['parity', a, b, '--json'])
  t.equal(res.code, 1)
  // In the order of their descriptions (`GET /a [tier pro; feature f1]`), as values.
  t.same(JSON.parse(res.stdout).differences.map((d: { capability: object }) => d.capability), [
    { path: '/a', method: 'GET', implemented: true, tier: 'pro', feature: 'f1' },
    { path: '/a', method: 'GET', implemented: true, tier: 'pro', feature: 'f2' },
    { path: '/h', method: 'GET', implemented: true },
    { path: '/h', method: 'GET', implemented: true, hidden: true },
    { path: '/v', method: 'GET', implemented: true, versions: ['1.0.0'] },
    { path: '/v', method: 'GET', implemented: true, versions: ['2.0.0'] },
    { path: '/a', method: 'HEAD', implemented: true, tier: 'pro', feature: 'f1' },
    { path: '/a', method: 'HEAD', implemented: true, tier: 'pro', feature: 'f2' },
    { path: '/h', method: 'HEAD', implemented: true },
    { path: '/h', method: 'HEAD', implemented: true, hidden: true },
    { path: '/v', method: 'HEAD', implemented: true, versions: ['1.0.0'] },
    { path: '/v', method: 'HEAD', implemented: true, versions: ['2.0.0'] },
    // A path with versioned routes alone answers OPTIONS in those versions only.
    { path: '/v', method: 'OPTIONS', implemented: true, versions: ['1.0.0'] },
    { path: '/v', method: 'OPTIONS', implemented: true, versions: ['2.0.0'] },
    { path: '/a', method: 'PUT', implemented: false }
  ])
  const text = await runCli(['parity', a, b])
  t.match(text.stdout, '\n  GET /a [tier pro; feature f1]   missing on ')
  t.match(text.stdout, '\n  PUT /a [not built]              missing on ')
})

test('a gated capability route is read with the headers given with -H', async (t) => {
  const a = await instance(t, { capabilitiesRoute: { url: '/caps', config: { tier: 'pro' } } })
  const b = await instance(t, { capabilitiesRoute: { url: '/caps', config: { tier: 'pro' } } })
  const denied = await runCli(['parity', `${a}/caps`, `${b}/caps`])
  t.equal(denied.code, 2)
  t.equal(denied.stderr, `fastify-not-implemented: ${a}/caps answered 501 Not Implemented\n`)
  const allowed = await runCli(['parity', `${a}/caps`, `${b}/caps`, '-H', 'X-Tier: pro', '--header', 'x-unused:  1 '])
  t.equal(allowed.code, 0)
  t.equal(allowed.stderr, '')
})

test('an instance that cannot be read is bad input: exit 2, one line', async (t) => {
  const good = await instance(t)
  const withoutRoute = await instance(t, { capabilitiesRoute: false })

  const other = Fastify()
  other.get('/text', async () => 'hello')
  other.get('/json', async () => ({ hello: 'world' }))
  other.get('/broken', async () => { throw new Error('boom') })
  other.get('/bad-routes', async () => ({ digest: 'x', routes: [{ path: '/a', methods: [{ method: 'GET' }] }] }))
  other.get('/hang', () => new Promise(() => {}))
  const origin = await listen(t, other)

  // A port that was open a moment ago and is closed now.
  const gone = Fastify()
  await gone.listen({ host: '127.0.0.1', port: 0 })
  const goneAddress = gone.server.address() as { port: number }
  await gone.close()
  const closed = `http://127.0.0.1:${goneAddress.port}/caps`

  const cases: Array<[string[], string | RegExp]> = [
    [[good, `${withoutRoute}/.well-known/capabilities`], `${withoutRoute}/.well-known/capabilities answered 404 Not Found; is the plugin's capabilitiesRoute option set on that instance?`],
    [[good, `${origin}/text`], `${origin}/text did not answer with JSON`],
    [[good, `${origin}/json`], `${origin}/json did not answer with a capability matrix`],
    [[good, `${origin}/bad-routes`], `${origin}/bad-routes did not answer with a capability matrix`],
    [[good, `${origin}/broken`], `${origin}/broken answered 500 Internal Server Error`],
    [[good, closed], `cannot reach ${closed}: connect ECONNREFUSED 127.0.0.1:${goneAddress.port}`],
    [[good, `${origin}/hang`, '--timeout', '200'], `cannot reach ${origin}/hang: no answer within 200 ms`],
    [[good, 'localhost:3000/caps'], 'localhost:3000/caps is not an http or https URL'],
    [[good, 'not a url'], 'not a url is not a URL; give the full URL of each instance\'s capability route'],
    [[good], 'parity: give the capability URLs of at least two instances (see fastify-not-implemented parity --help)'],
    [[good, good, '-H', 'no-colon'], '--header "no-colon" is not "Name: value"'],
    [[good, good, '-H', ': value'], '--header ": value" is not "Name: value"'],
    [[good, good, '-H', 'bad name: value'], '--header "bad name: value" is not "Name: value"'],
    [[good, good, '-H', 'x-a: one\r\nx-b: two'], '--header "x-a: one\\r\\nx-b: two" is not "Name: value"'],
    [[good, `http://user:secret@${origin.slice('http://'.length)}/json`], `cannot reach http://user:secret@${origin.slice('http://'.length)}/json: Request cannot be constructed from a URL that includes credentials: http://user:secret@${origin.slice('http://'.length)}/json`],
    [[good, good, '--timeout', 'soon'], '--timeout must be a positive number of milliseconds, got "soon"'],
    [[good, good, '--timeout', '0'], '--timeout must be a positive number of milliseconds, got "0"']
  ]
  for (const [args, reason] of cases) {
    const res = await runCli(['parity', ...args])
    t.equal(res.code, 2, args.join(' '))
    t.equal(res.stdout, '', args.join(' '))
    t.equal(res.stderr, `fastify-not-implemented: ${String(reason)}\n`, args.join(' '))
  }
})

test('colours on a terminal, and progress on stderr only there', async (t) => {
  const a = await instance(t)
  const b = await instance(t, { lacksDelete: true })
  const res = await runCli(['parity', a, b], { tty: true })
  t.equal(res.code, 1)
  t.match(res.stdout, '\u001b[1mparity\u001b[22m of 2 instances')
  t.match(res.stdout, `\u001b[31mmissing on ${b}\u001b[39m`)
  t.match(res.stdout, '\u001b[31mdrift: 1 capability differs\u001b[39m')
  t.equal(res.stderr, '\r\u001b[2Kfetching 0/2\r\u001b[2Kfetching 1/2\r\u001b[2Kfetching 2/2\r\u001b[2K')

  // The same URL twice is two instances (behind a load balancer it may reach two nodes).
  const same = await runCli(['parity', a, a], { tty: true })
  t.equal(same.code, 0)
  t.match(same.stdout, '\u001b[32mno drift')
})

test('the bin: three instances on loopback, one without a route', async (t) => {
  const a = await instance(t)
  const b = await instance(t)
  const c = await instance(t, { lacksDelete: true })
  const drift = await spawnCli(['parity', a, b, c])
  t.equal(drift.code, 1)
  t.equal(drift.stderr, '')
  t.match(drift.stdout, `  DELETE /pets/:petId  missing on ${c}\n`)
  t.match(drift.stdout, 'drift: 1 capability differs')

  const agree = await spawnCli(['parity', a, b])
  t.equal(agree.code, 0)

  const unreadable = await spawnCli(['parity', a, 'http://127.0.0.1:9/caps'])
  t.equal(unreadable.code, 2)
  t.equal(unreadable.stdout, '')
  t.match(unreadable.stderr, /^fastify-not-implemented: cannot reach http:\/\/127.0.0.1:9\/caps: [^\n]+\n$/)
})
