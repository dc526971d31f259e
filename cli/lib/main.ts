import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { audit, auditJson, driftOf, formatAudit } from './audit'
import { UsageError, reasonOf } from './errors'
import { loadApp, type App } from './load-app'
import { formatMatrix } from './matrix'
import { compareInstances, fetchMatrix, formatParity, type Instance } from './parity'
import { readSpec } from './spec'
import { styleFor, type Output } from './style'

export interface Io {
  stdout: Output
  stderr: Output
  env: Record<string, string | undefined>
  cwd: string
}

const name = 'fastify-not-implemented'
const defaultTimeout = 10000 // ms, per instance

const usage = `Usage: ${name} <command> [options]

Commands:
  matrix <app> [--json]                  print the capability matrix of an app
  audit <app> --openapi <spec> [--json]  diff an OpenAPI 3.0/3.1 document (JSON or YAML) against an app
  parity <url> <url>... [--json]         compare the capability routes of running instances

Options:
  --openapi <file>       the OpenAPI document to audit against
  --json                 print JSON instead of a table
  -H, --header <h: v>    a header to send with each parity request (repeatable)
  --timeout <ms>         how long parity waits for each instance (default ${defaultTimeout})
  -h, --help             print this help
  -v, --version          print the version

<app> is a module (.js, .cjs, .mjs) whose default export (or module.exports) is a Fastify
instance, or a function, sync or async, that returns one; a function of (fastify, options)
is registered as a plugin on a new instance. The app must register ${name}.
Each <url> is the full URL of an instance's capability route (the plugin's
capabilitiesRoute option), e.g. https://api-1.example.com/.well-known/capabilities.

Exit status: 0 when everything agrees, 1 when drift is found, 2 on bad input.
`

const commandUsage: Record<string, string> = {
  matrix: `Usage: ${name} matrix <app> [--json]\n\nPrints every routed path, the methods that answer there, and for each its tier,\nfeature, implemented flag and versions, with the digest of the whole.\n`,
  audit: `Usage: ${name} audit <app> --openapi <spec.json|spec.yaml> [--json]\n\nLists the operations of the spec the app does not implement (with what a client\ngets: 404, 405 or 501), the ones the app implements that the spec lacks, and the\nx-tier, x-feature and x-not-implemented annotations that disagree with the app.\nExit 0 when they agree, 1 on drift, 2 on bad input.\n`,
  parity: `Usage: ${name} parity <url> <url>... [--json] [-H "Name: value"] [--timeout <ms>]\n\nFetches the capability route of each instance and lists the capabilities some\ninstances lack. Exit 0 when all agree, 1 when they differ, 2 when one cannot be read.\n`
}

function versionText (): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
  return `${name} ${pkg.version}\n`
}

function parse (argv: readonly string[]): ReturnType<typeof parseArgs<{ options: typeof options, allowPositionals: true, strict: true }>> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
  } catch (error) {
    // Node's own message goes on about `--`; its first sentence is the reason.
    throw new UsageError(`${reasonOf(error).split('. ')[0]} (see --help)`)
  }
}

const options = {
  openapi: { type: 'string' },
  json: { type: 'boolean' },
  header: { type: 'string', short: 'H', multiple: true },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' }
} as const

// RFC 9110 §5.1 and §5.5: a field name is a token; a value holds no line break or NUL.
const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const badValue = /[\r\n\0]/

function headersOf (list: readonly string[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const item of list ?? []) {
    const colon = item.indexOf(':')
    const name = item.slice(0, colon).trim()
    const value = item.slice(colon + 1).trim()
    if (colon === -1 || !tokenPattern.test(name) || badValue.test(value)) throw new UsageError(`--header ${JSON.stringify(item)} is not "Name: value"`)
    headers[name.toLowerCase()] = value
  }
  return headers
}

function timeoutOf (value: string | undefined): number {
  if (value === undefined) return defaultTimeout
  const timeout = Number(value)
  if (!Number.isInteger(timeout) || timeout <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds, got "${value}"`)
  return timeout
}

function expectPositionals (command: string, positionals: readonly string[], count: number): void {
  if (positionals.length < count) throw new UsageError(`${command}: missing <app> (see ${name} ${command} --help)`)
  if (positionals.length > count) throw new UsageError(`${command}: unexpected argument "${positionals[count]}" (see ${name} ${command} --help)`)
}

// Progress on stderr, only where a person watches a terminal; each line replaces the last.
function progressFor (io: Io): { show (text: string): void, clear (): void } {
  const live = io.stderr.isTTY === true
  return {
    show (text) { if (live) io.stderr.write(`\r\u001b[2K${text}`) },
    clear () { if (live) io.stderr.write('\r\u001b[2K') }
  }
}

async function withApp<T> (specifier: string, io: Io, use: (app: App) => Promise<T>): Promise<T> {
  const { app } = await loadApp(specifier, io.cwd)
  try {
    return await use(app)
  } finally {
    await app.close()
  }
}

async function matrixCommand (positionals: readonly string[], json: boolean, io: Io): Promise<number> {
  expectPositionals('matrix', positionals, 1)
  const matrix = await withApp(positionals[0], io, async (app) => (app.capabilities as NonNullable<App['capabilities']>)())
  io.stdout.write(json ? JSON.stringify(matrix, null, 2) + '\n' : formatMatrix(matrix, styleFor(io.stdout, io.env)))
  return 0
}

async function auditCommand (positionals: readonly string[], openapi: string | undefined, json: boolean, io: Io): Promise<number> {
  expectPositionals('audit', positionals, 1)
  if (openapi === undefined) throw new UsageError(`audit: missing --openapi <spec> (see ${name} audit --help)`)
  const progress = progressFor(io)
  progress.show(`reading ${openapi}`)
  const spec = await readSpec(openapi, io.cwd).finally(() => progress.clear())
  progress.show(`loading ${positionals[0]}`)
  const report = await withApp(positionals[0], io, async (app) => {
    const matrix = (app.capabilities as NonNullable<App['capabilities']>)()
    return audit(app, matrix, spec, (done, total) => progress.show(`checking operation ${done}/${total}`))
  }).finally(() => progress.clear())
  io.stdout.write(json ? JSON.stringify(auditJson(report), null, 2) + '\n' : formatAudit(report, positionals[0], styleFor(io.stdout, io.env)))
  return driftOf(report) === 0 ? 0 : 1
}

async function parityCommand (urls: readonly string[], headerList: readonly string[] | undefined, timeoutText: string | undefined, json: boolean, io: Io): Promise<number> {
  if (urls.length < 2) throw new UsageError(`parity: give the capability URLs of at least two instances (see ${name} parity --help)`)
  const headers = headersOf(headerList)
  const timeout = timeoutOf(timeoutText)
  const progress = progressFor(io)
  let fetched = 0
  progress.show(`fetching 0/${urls.length}`)
  const instances: Instance[] = await Promise.all(urls.map(async (url) => {
    const matrix = await fetchMatrix(url, headers, timeout)
    progress.show(`fetching ${++fetched}/${urls.length}`)
    return { url, matrix }
  })).finally(() => progress.clear())
  const report = compareInstances(instances)
  io.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : formatParity(report, styleFor(io.stdout, io.env)))
  return report.differences.length === 0 ? 0 : 1
}

// Runs one command line and returns the exit status; bad input is one line on stderr.
export async function run (argv: readonly string[], io: Io): Promise<number> {
  try {
    const { values, positionals } = parse(argv)
    const [command, ...rest] = positionals
    if (values.version === true) {
      io.stdout.write(versionText())
      return 0
    }
    if (values.help === true || command === 'help') {
      const topic = command === 'help' ? rest[0] : command
      io.stdout.write(commandUsage[topic as string] ?? usage)
      return 0
    }
    const json = values.json === true
    switch (command) {
      case 'matrix': return await matrixCommand(rest, json, io)
      case 'audit': return await auditCommand(rest, values.openapi, json, io)
      case 'parity': return await parityCommand(rest, values.header, values.timeout, json, io)
      case undefined:
        io.stderr.write(usage)
        return 2
      default:
        throw new UsageError(`unknown command "${command}"; the commands are matrix, audit and parity (see --help)`)
    }
  } catch (error) {
    io.stderr.write(`${name}: ${reasonOf(error)}\n`)
    return 2
  }
}

// The `bin` entry: the real process, whose exit status is the command's.
export function main (argv: readonly string[]): void {
  const fail = (error: unknown): void => {
    process.stderr.write(`${name}: ${reasonOf(error)}\n`)
    process.exit(2)
  }
  process.on('uncaughtException', fail)
  process.on('unhandledRejection', fail)
  const io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }
  run(argv, io).then((status) => {
    // An app may hold open handles (timers, pools) after close: the command is done.
    process.stdout.write('', () => process.exit(status))
  }, fail)
}
