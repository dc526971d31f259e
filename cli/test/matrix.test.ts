import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'tap'
import notImplemented = require('fastify-not-implemented')
import { runCli, type Result } from './helpers/cli'
import errorsModule = require('../dist/errors.js')

// The command-line tool, run two ways: in this process through `run` (fast), and as the
// real `bin` in a child process (exit status, streams, no stack traces).

const { reasonOf } = errorsModule as unknown as { reasonOf: (error: unknown) => string }

const root = resolve(__dirname, '..')
const bin = join(root, 'bin', 'fastify-not-implemented.js')
const fixture = (name: string): string => `test/fixtures/${name}`

function spawnCli (argv: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...argv], { cwd: root, env: { ...process.env, NO_COLOR: '' } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr })
    })
  })
}

const expectedTable = `PATH              METHOD   IMPLEMENTED   TIER  FEATURE  VERSIONS
/internal/health  GET      yes           -     -        -             hidden from OpenAPI
                  HEAD     yes           -     -        -             hidden from OpenAPI
                  OPTIONS  yes           -     -        -
/pets             GET      yes           -     -        -
                  HEAD     yes           -     -        -
                  POST     yes           plus  -        -
                  OPTIONS  yes           -     -        -
/pets/:petId      GET      yes           -     -        -
                  HEAD     yes           -     -        -
                  DELETE   no, declared  -     -        -
                  OPTIONS  yes           -     -        -
/reports          GET      yes           pro   reports  -
                  HEAD     yes           pro   reports  -
                  OPTIONS  yes           -     -        -
/search           GET      yes           -     -        1.0.0, 2.0.0
                  HEAD     yes           -     -        1.0.0, 2.0.0
                  OPTIONS  yes           -     -        1.0.0, 2.0.0
`

async function gatedMatrix (): Promise<ReturnType<import('fastify').FastifyInstance['capabilities']>> {
  const build = require('./fixtures/gated.cjs') as () => Promise<import('fastify').FastifyInstance>
  const app = await build()
  await app.ready()
  const matrix = app.capabilities()
  await app.close()
  return matrix
}

test('matrix prints the table of an app built by an async factory', async (t) => {
  const matrix = await gatedMatrix()
  const res = await runCli(['matrix', fixture('gated.cjs')])
  t.equal(res.code, 0)
  t.equal(res.stderr, '')
  t.equal(res.stdout, `${expectedTable}\n17 methods on 5 paths, digest ${matrix.digest}\n`)
})

test('matrix --json prints the matrix capabilities() returns', async (t) => {
  const res = await runCli(['matrix', fixture('gated.cjs'), '--json'])
  t.equal(res.code, 0)
  t.same(JSON.parse(res.stdout), await gatedMatrix())
  t.equal(res.stdout, JSON.stringify(await gatedMatrix(), null, 2) + '\n')
})

test('matrix colours its table only on a terminal, and never with NO_COLOR', async (t) => {
  const tty = await runCli(['matrix', fixture('gated.cjs')], { tty: true })
  t.equal(tty.code, 0)
  t.match(tty.stdout, '\u001b[1mPATH\u001b[22m')
  t.match(tty.stdout, '\u001b[32myes\u001b[39m')
  t.match(tty.stdout, '\u001b[33mno, declared\u001b[39m')
  t.match(tty.stdout, '\u001b[2mhidden from OpenAPI\u001b[22m')
  // Colour codes never shift the columns.
  const stripped = ['1', '22', '2', '32', '33', '39'].reduce((text, code) => text.replaceAll(`\u001b[${code}m`, ''), tty.stdout)
  t.notMatch(stripped, '\u001b')
  t.equal(stripped, (await runCli(['matrix', fixture('gated.cjs')])).stdout)

  for (const env of [{ NO_COLOR: '1' }, { TERM: 'dumb' }]) {
    const plain = await runCli(['matrix', fixture('gated.cjs')], { tty: true, env })
    t.notMatch(plain.stdout, '\u001b[', JSON.stringify(env))
  }
})

test('matrix loads every kind of app module', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['instance.mjs', ['/hello']],
    ['instance.cjs', ['/api/items']],
    ['nested-default.cjs', ['/nested']],
    ['plugin.cjs', ['/from-plugin']],
    ['petstore-3.0.cjs', ['/v2/pet', '/v2/pet/:petId', '/v2/pet/:petId/uploadImage', '/v2/pet/findByStatus', '/v2/pet/findByTags', '/v2/store/order', '/v2/store/order/:orderId', '/v2/user', '/v2/user/:username', '/v2/user/createWithArray', '/v2/user/createWithList', '/v2/user/login', '/v2/user/logout']]
  ]
  for (const [name, paths] of cases) {
    const res = await runCli(['matrix', fixture(name), '--json'])
    t.equal(res.code, 0, name)
    t.equal(res.stderr, '', name)
    t.same(JSON.parse(res.stdout).routes.map((route: { path: string }) => route.path), paths, name)
  }
})

test('matrix of one path with one method says so in the singular', async (t) => {
  const res = await runCli(['matrix', fixture('single.cjs')])
  t.match(res.stdout, /^PATH {3}METHOD {2}IMPLEMENTED {2}TIER {2}FEATURE {2}VERSIONS\n\/only {2}POST {4}yes {10}- {5}- {8}-\n\n1 method on 1 path, digest [0-9a-f]{64}\n$/)
})

test('an app module that cannot be used is bad input: exit 2, one line, no stack', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fni-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // A plugin somewhere fastify cannot be loaded from.
  const lonePlugin = join(dir, 'plugin.cjs')
  writeFileSync(lonePlugin, 'module.exports = function plugin (fastify, opts, done) { done() }\n')

  const cases: Array<[string, string]> = [
    [fixture('nope.cjs'), 'cannot find the app module test/fixtures/nope.cjs'],
    [fixture('throws-on-load.cjs'), 'cannot load the app module test/fixtures/throws-on-load.cjs: cannot connect to the database'],
    [fixture('not-an-app.cjs'), 'test/fixtures/not-an-app.cjs exports neither a Fastify instance nor a function that returns one'],
    [fixture('named-only.mjs'), 'test/fixtures/named-only.mjs exports neither a Fastify instance nor a function that returns one'],
    [fixture('returns-nothing.cjs'), 'test/fixtures/returns-nothing.cjs exports a function that does not return a Fastify instance'],
    [fixture('factory-throws.cjs'), 'test/fixtures/factory-throws.cjs: building the app failed: missing DATABASE_URL'],
    [fixture('bad-route.cjs'), 'test/fixtures/bad-route.cjs: building the app failed: fastify-not-implemented: route GET /gold: config.tier "gold" is not one of the tiers: free'],
    [fixture('fails-ready.cjs'), 'test/fixtures/fails-ready.cjs: the app failed to start: plugin failed to start'],
    [fixture('no-plugin.cjs'), 'test/fixtures/no-plugin.cjs: the app does not register fastify-not-implemented on its root instance, so it has no capability matrix'],
    [lonePlugin, `${lonePlugin} exports a plugin, and fastify cannot be loaded from its folder: Cannot find module 'fastify'`]
  ]
  for (const [app, reason] of cases) {
    const res = await runCli(['matrix', app])
    t.equal(res.code, 2, app)
    t.equal(res.stdout, '', app)
    t.equal(res.stderr, `fastify-not-implemented: ${reason}\n`, app)
  }
})

test('command lines the tool cannot read are bad input', async (t) => {
  const cases: Array<[string[], string]> = [
    [['frobnicate'], 'unknown command "frobnicate"; the commands are matrix, audit and parity (see --help)'],
    [['matrix'], 'matrix: missing <app> (see fastify-not-implemented matrix --help)'],
    [['matrix', 'a.js', 'b.js'], 'matrix: unexpected argument "b.js" (see fastify-not-implemented matrix --help)'],
    [['matrix', 'a.js', '--bogus'], 'Unknown option \'--bogus\' (see --help)'],
    [['matrix', 'a.js', '--openapi'], 'Option \'--openapi <value>\' argument missing (see --help)']
  ]
  for (const [argv, reason] of cases) {
    const res = await runCli(argv)
    t.equal(res.code, 2, argv.join(' '))
    t.equal(res.stdout, '', argv.join(' '))
    t.equal(res.stderr, `fastify-not-implemented: ${reason}\n`, argv.join(' '))
  }
})

test('help and version', async (t) => {
  for (const argv of [['--help'], ['-h'], ['help']]) {
    const res = await runCli(argv)
    t.equal(res.code, 0)
    t.match(res.stdout, /^Usage: fastify-not-implemented <command> \[options\]\n/)
    t.match(res.stdout, 'matrix <app> [--json]')
    t.match(res.stdout, 'audit <app> --openapi <spec> [--json]')
    t.match(res.stdout, 'parity <url> <url>... [--json]')
    t.match(res.stdout, 'Exit status: 0 when everything agrees, 1 when drift is found, 2 on bad input.')
  }
  for (const command of ['matrix', 'audit', 'parity']) {
    for (const argv of [[command, '--help'], ['help', command]]) {
      const res = await runCli(argv)
      t.equal(res.code, 0)
      t.match(res.stdout, new RegExp(`^Usage: fastify-not-implemented ${command} `))
    }
  }
  const { version } = require('../package.json') as { version: string }
  for (const argv of [['--version'], ['-v'], ['matrix', '-v']]) {
    t.same(await runCli(argv), { code: 0, stdout: `fastify-not-implemented ${version}\n`, stderr: '' })
  }
  // No command at all: the usage, on stderr, and exit 2.
  const none = await runCli([])
  t.equal(none.code, 2)
  t.equal(none.stdout, '')
  t.match(none.stderr, /^Usage: fastify-not-implemented/)
})

test('the bin: exit status, streams and the matrix of a real app', async (t) => {
  const ok = await spawnCli(['matrix', fixture('gated.cjs'), '--json'])
  t.equal(ok.code, 0)
  t.equal(ok.stderr, '')
  t.same(JSON.parse(ok.stdout), await gatedMatrix())

  const table = await spawnCli(['matrix', fixture('gated.cjs')])
  t.equal(table.code, 0)
  // Not a terminal: no colours.
  t.equal(table.stdout.slice(0, expectedTable.length), expectedTable)

  const help = await spawnCli(['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /^Usage: fastify-not-implemented/)
})

test('the bin never prints a stack trace, not even for a crash inside the app', async (t) => {
  const cases: Array<[string[], string]> = [
    [['matrix', fixture('throws-on-load.cjs')], 'fastify-not-implemented: cannot load the app module test/fixtures/throws-on-load.cjs: cannot connect to the database\n'],
    [['matrix', fixture('late-crash.cjs')], 'fastify-not-implemented: late crash in the app\n'],
    [['nope'], 'fastify-not-implemented: unknown command "nope"; the commands are matrix, audit and parity (see --help)\n']
  ]
  for (const [argv, stderr] of cases) {
    const res = await spawnCli(argv)
    t.equal(res.code, 2, argv.join(' '))
    t.equal(res.stdout, '', argv.join(' '))
    t.equal(res.stderr, stderr, argv.join(' '))
    t.notMatch(res.stderr, /\n\s+at /)
  }
})

test('the package names the bin, ships it, and asks for the plugin of the same release', async (t) => {
  const pkg = require('../package.json') as { bin: Record<string, string>, files: string[], peerDependencies: Record<string, string> }
  const plugin = require('fastify-not-implemented/package.json') as { version: string }
  t.same(pkg.bin, { 'fastify-not-implemented': 'bin/fastify-not-implemented.js' })
  t.ok(pkg.files.includes('bin/'))
  t.equal(pkg.peerDependencies['fastify-not-implemented'], `^${plugin.version}`, 'the plugin range starts at the version beside it')
  t.equal(typeof notImplemented, 'function')
})

test('a reason is the first line of what was thrown, whatever was thrown', async (t) => {
  t.equal(reasonOf(new Error('first\n    at frame (file.js:1:1)')), 'first')
  t.equal(reasonOf(new Error('\n  \n  second line  \nthird')), 'second line')
  t.equal(reasonOf(new Error('')), 'unknown error')
  t.equal(reasonOf('a string'), 'a string')
  t.equal(reasonOf(42), '42')
  t.equal(reasonOf(undefined), 'undefined')
})
