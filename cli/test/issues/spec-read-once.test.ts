import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'tap'
import { root, runCli, type Result } from '../helpers/cli'

// `audit` read the spec, then let the OpenAPI parser read it again by its path. A spec given
// through a pipe (`--openapi /dev/stdin`) was gone by the second read, and a file with an
// extension other than .json or .yaml was taken by the parser as plain text: both exited 2
// with "is not a valid JSON Schema", for a valid document. Such a spec is now read once and
// handed to the parser as a document; its relative `$ref`s resolve from the current folder.
// A file with no extension is still the parser's to read, from its own folder.

const bin = join(root, 'bin', 'fastify-not-implemented.js')
const app = join(root, 'test', 'fixtures', 'gated.cjs')
const specFile = join(root, 'test', 'fixtures', 'annotated.yaml')

// The tool with `input` on its standard input through a real pipe, as a shell gives it
// (`cat spec.yaml | fastify-not-implemented audit ...`): Node's own child stdin is a socket.
function withStdin (argv: string[], input: string, cwd = root): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'stdin-'))
  const inputFile = join(dir, 'input')
  writeFileSync(inputFile, input)
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', 'cat "$0" | exec "$@"', inputFile, process.execPath, bin, ...argv], { cwd }, (error, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true })
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr })
    })
  })
}

// The report with the spec's name taken out: the same document under another name.
function withoutName (report: string): unknown {
  const parsed = JSON.parse(report) as { spec: Record<string, unknown> }
  delete parsed.spec.file
  return parsed
}

test('a spec through a pipe is audited as the same file', async (t) => {
  const byFile = await runCli(['audit', app, '--openapi', specFile, '--json'])
  t.equal(byFile.stderr, '')
  const byPipe = await withStdin(['audit', app, '--openapi', '/dev/stdin', '--json'], readFileSync(specFile, 'utf8'))
  t.equal(byPipe.stderr, '')
  t.equal(byPipe.code, byFile.code)
  t.same(withoutName(byPipe.stdout), withoutName(byFile.stdout))
  t.equal((JSON.parse(byPipe.stdout) as { spec: { file: string } }).spec.file, '/dev/stdin')
})

test('a spec in a file named otherwise (.txt, no extension) is read as YAML or JSON', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spec-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const byFile = await runCli(['audit', app, '--openapi', specFile, '--json'])
  for (const name of ['contract.txt', 'contract']) {
    copyFileSync(specFile, join(dir, name))
    const other = await runCli(['audit', app, '--openapi', join(dir, name), '--json'])
    t.equal(other.stderr, '', name)
    t.equal(other.code, byFile.code)
    t.same(withoutName(other.stdout), withoutName(byFile.stdout))
  }
})

test('a file with no extension is read by the parser: its relative $refs resolve from its own folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spec-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const contracts = join(dir, 'contracts')
  const elsewhere = join(dir, 'elsewhere')
  for (const folder of [contracts, elsewhere]) mkdirSync(folder)
  writeFileSync(join(contracts, 'paths.yaml'), 'a:\n  get:\n    responses:\n      "200": {description: ok}\n')
  // A file of the same name in the folder the tool runs in, which must not be read.
  writeFileSync(join(elsewhere, 'paths.yaml'), 'a:\n  post:\n    responses:\n      "200": {description: wrong file}\n')
  writeFileSync(join(contracts, 'openapi'), 'openapi: 3.1.0\ninfo: {title: Split, version: "1"}\npaths:\n  /a:\n    $ref: "./paths.yaml#/a"\n')
  const res = await runCli(['audit', app, '--openapi', join(contracts, 'openapi'), '--json'], { cwd: elsewhere })
  t.equal(res.stderr, '')
  const report = JSON.parse(res.stdout) as { missing: Array<{ method: string, path: string }> }
  t.same(report.missing.map(({ method, path }) => [method, path]), [['GET', '/a']])
})

test('through a pipe, relative $refs resolve from the current folder; a broken document says why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spec-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'paths.yaml'), 'a:\n  get:\n    responses:\n      "200": {description: ok}\n')
  const spec = 'openapi: 3.1.0\ninfo: {title: Split, version: "1"}\npaths:\n  /a:\n    $ref: "./paths.yaml#/a"\n'
  const res = await withStdin(['audit', app, '--openapi', '/dev/stdin', '--json'], spec, dir)
  t.equal(res.stderr, '')
  const report = JSON.parse(res.stdout) as { spec: { operations: number, title: string }, missing: Array<{ method: string, path: string }> }
  t.same(report.spec, { file: '/dev/stdin', version: '3.1.0', title: 'Split', operations: 1 })
  t.same(report.missing.map(({ method, path }) => [method, path]), [['GET', '/a']])

  const missingRef = await withStdin(['audit', app, '--openapi', '/dev/stdin'], spec.replace('./paths.yaml', './nowhere.yaml'), dir)
  t.equal(missingRef.code, 2)
  t.match(missingRef.stderr, /^fastify-not-implemented: \/dev\/stdin is not a valid OpenAPI 3\.1\.0 document: Error opening file .*nowhere\.yaml/)

  const broken = await withStdin(['audit', app, '--openapi', '/dev/stdin'], '{ nope')
  t.equal(broken.code, 2)
  t.match(broken.stderr, /^fastify-not-implemented: \/dev\/stdin is not YAML: /)
  const notOpenApi = await withStdin(['audit', app, '--openapi', '/dev/stdin'], 'openapi: 3.1.0\ninfo: {title: x, version: "1"}\n')
  t.equal(notOpenApi.code, 2)
  t.match(notOpenApi.stderr, /^fastify-not-implemented: \/dev\/stdin is not a valid OpenAPI 3\.1\.0 document: /)
})
