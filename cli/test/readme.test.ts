import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { root, runCli } from './helpers/cli'

// The README shows real runs: its app and its spec are the files in test/fixtures/readme, and
// each `$ npx fastify-not-implemented ...` block prints, and exits with, what the tool does.

const readme = readFileSync(join(root, 'README.md'), 'utf8')
const dir = join(root, 'test', 'fixtures', 'readme')

interface Example { argv: string[], stdout: string, code: number }

// A block that starts with `$ npx fastify-not-implemented <args>`: what follows is stdout, and
// an `$ echo $?` line, if any, gives the exit status (0 when there is none).
function examples (): Example[] {
  return [...readme.matchAll(/```\n\$ npx fastify-not-implemented (.*)\n([\s\S]*?)```/g)].map(([, args, body]) => {
    const [stdout, status] = body.split('$ echo $?\n')
    return { argv: args.split(' '), stdout, code: status === undefined ? 0 : Number(status.trim()) }
  })
}

test('the README\'s app and spec are the fixtures the examples run', async (t) => {
  const blocks = (lang: string): string[] => [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1])
  t.same(blocks('js'), [readFileSync(join(dir, 'app.js'), 'utf8')], 'app.js')
  t.same(blocks('yaml'), [readFileSync(join(dir, 'openapi.yaml'), 'utf8')], 'openapi.yaml')
  t.same(examples().map(({ argv }) => argv[0]), ['matrix', 'audit', 'parity'], 'one example of each command')
})

test('each command the README shows prints what the README says', async (t) => {
  const build = require(join(dir, 'app.js')) as () => Promise<FastifyInstance>
  // The parity example's two instances: the second without /health, as the README says.
  const full = await build()
  process.env.WITHOUT_HEALTH = '1'
  const partial = await build().finally(() => { delete process.env.WITHOUT_HEALTH })
  t.teardown(async () => { await Promise.all([full.close(), partial.close()]) })
  const ports: Record<string, string> = {}
  for (const [shown, app] of [['3001', full], ['3002', partial]] as const) {
    await app.listen({ host: '127.0.0.1', port: 0 })
    ports[shown] = String((app.server.address() as { port: number }).port)
  }
  // Every real port has as many digits as the others, so the columns line up as shown.
  const real = (text: string): string => text.replace(/127\.0\.0\.1:(300[12])\b/g, (_, port: string) => `127.0.0.1:${ports[port]}`)

  for (const example of examples()) {
    const res = await runCli(example.argv.map(real), { cwd: dir })
    t.same(res, { code: example.code, stdout: real(example.stdout), stderr: '' }, example.argv.slice(0, 2).join(' '))
  }
})
