import { test } from 'tap'
import { join } from 'node:path'
import ts from 'typescript'
import notImplemented = require('..')

// The outcome table (lib/outcomes.ts) is the one source of every code, status, field and
// Cache-Control. The public types (types/index.d.ts) are written by hand for readers; this
// test writes down what the table says as type assertions and has TypeScript check them
// against those types, so that the two cannot drift apart.
const { errorOutcomes, defaultCacheControl } = require('../dist/outcomes.js') as typeof import('../lib/outcomes')

const root = join(__dirname, '..')

function literalUnion (values: ReadonlyArray<string | number>): string {
  return values.map((value) => JSON.stringify(value)).join(' | ')
}

type Table = typeof errorOutcomes

function assertions (table: Table): string {
  const codes = Object.keys(table) as Array<keyof Table>
  const lines = [
    "import type { FastifyError } from '@fastify/error'",
    "import type { Static } from '@sinclair/typebox'",
    "import notImplemented = require('./types/index')",
    'type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false',
    'type Instance<C extends notImplemented.ErrorCode> = InstanceType<notImplemented.NotImplementedErrors[C]>',
    'type Fields<C extends notImplemented.ErrorCode> = Exclude<keyof Instance<C>, keyof FastifyError | keyof notImplemented.NotImplementedErrorFields>',
    `export const codes: Equal<notImplemented.ErrorCode, ${literalUnion(codes)}> = true`,
    `export const outcomes: Equal<notImplemented.Outcome, ${literalUnion(Object.keys(defaultCacheControl))}> = true`
  ]
  for (const code of codes) {
    const row = table[code]
    const fields = Object.keys(row.fields)
    const id = code.toLowerCase()
    lines.push(
      `export const ${id}Status: Equal<Instance<'${code}'>['statusCode'], ${literalUnion(row.statuses)}> = true`,
      `export const ${id}Code: Equal<Instance<'${code}'>['code'], '${code}'> = true`,
      `export const ${id}Fields: Equal<Fields<'${code}'>, ${fields.length === 0 ? 'never' : literalUnion(fields)}> = true`,
      `export const ${id}Body: Equal<keyof Static<notImplemented.NotImplementedSchemas['${code}']>, ${literalUnion(['statusCode', 'code', 'error', 'message', ...fields])}> = true`,
      `export const ${id}BodyStatus: Equal<Static<notImplemented.NotImplementedSchemas['${code}']>['statusCode'], ${literalUnion(row.statuses)}> = true`,
      `export const ${id}Problem: Equal<keyof Static<notImplemented.NotImplementedProblemSchemas['${code}']>, ${literalUnion(['type', 'title', 'status', 'detail', 'code', ...fields])}> = true`,
      `export const ${id}ProblemStatus: Equal<Static<notImplemented.NotImplementedProblemSchemas['${code}']>['status'], ${literalUnion(row.statuses)}> = true`
    )
  }
  return lines.join('\n') + '\n'
}

// Type-checks the assertions for `table` against types/index.d.ts; returns the errors.
function check (table: Table): string[] {
  const file = join(root, 'outcomes-agreement.check.ts')
  const source = assertions(table)
  const host = ts.createCompilerHost({})
  const readFile = host.readFile.bind(host)
  host.readFile = (name) => name === file ? source : readFile(name)
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (name) => name === file || fileExists(name)
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: ['node']
  }, host)
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.getLineAndCharacterOfPosition(d.start ?? 0).line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`)
}

test('the hand-written public types say what the outcome table says', async (t) => {
  t.same(check(errorOutcomes), [], 'every assertion type-checks')
  t.ok(assertions(errorOutcomes).split('\n').length > 7 + 7 * Object.keys(errorOutcomes).length, 'one assertion per fact of every row')
})

test('a table that says otherwise fails the check, so the check can fail', async (t) => {
  const otherStatus = { ...errorOutcomes, FST_TIER_REQUIRED: { ...errorOutcomes.FST_TIER_REQUIRED, statuses: [501] } } as unknown as Table
  t.equal(check(otherStatus).length, 3, 'the error\'s, the body\'s and the problem\'s status')
  const otherField = { ...errorOutcomes, FST_FEATURE_DISABLED: { ...errorOutcomes.FST_FEATURE_DISABLED, fields: { flag: {} } } } as unknown as Table
  t.equal(check(otherField).length, 3, 'the error\'s, the body\'s and the problem\'s fields')
  const { FST_VERSION_NOT_IMPLEMENTED: _left, ...fewer } = errorOutcomes
  t.ok(check(fewer as unknown as Table).length >= 1, 'a code the types have and the table does not')
})

test('the runtime exports are the table\'s, one per code', async (t) => {
  const codes = Object.keys(errorOutcomes)
  t.same(Object.keys(notImplemented.errors), codes)
  t.same(Object.keys(notImplemented.schemas), codes)
  t.same(Object.keys(notImplemented.problemSchemas), codes)
  for (const code of codes as Array<keyof typeof errorOutcomes>) {
    const row = errorOutcomes[code]
    const error = new notImplemented.errors[code]('A', 'B', 'C')
    t.equal(error.statusCode, row.status, code)
    t.equal(error.code, code)
    t.same(Object.keys(notImplemented.schemas[code].properties), ['statusCode', 'code', 'error', 'message', ...Object.keys(row.fields)], code)
    t.same(Object.keys(notImplemented.problemSchemas[code].properties), ['type', 'title', 'status', 'detail', 'code', ...Object.keys(row.fields)], `${code} problem`)
  }
})
