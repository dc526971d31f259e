import { execFile } from 'node:child_process'
import { join, relative, resolve } from 'node:path'
import { test } from 'tap'
import { runCli, type Result } from './helpers/cli'
import specModule = require('../dist/spec.js')

// `audit <app> --openapi <spec>` against public OpenAPI documents shipped in an npm package
// (@readme/oas-examples), and against small hand-written ones for the cases they lack.

interface Missing { method: string, path: string, status?: number, code?: string, allow?: string[], answeredBy?: { route: string | null, catchAll: boolean } }
interface Report {
  spec: { file: string, version: string, title: string, operations: number }
  missing: Missing[]
  undocumented: Array<{ method: string, path: string, implemented: boolean, tier?: string, feature?: string }>
  disagreements: Array<{ method: string, path: string, field: string, spec: string | boolean | null, app: Array<string | null> | boolean }>
  drift: number
}

const { readSpec, basePathOf } = specModule as unknown as {
  readSpec: (file: string, cwd: string) => Promise<{ operations: Array<{ method: string, template: string, bases: string[], samples: Record<string, string> }> }>
  basePathOf: (server: unknown) => string
}

const root = resolve(__dirname, '..')
const bin = join(root, 'bin', 'fastify-not-implemented.js')
const app = (name: string): string => `test/fixtures/${name}`
const spec = (name: string): string => `test/fixtures/specs/${name}`
// Wherever npm put the package (hoisted or not), as a path from the folder the tool runs in.
const example = (name: string): string => relative(root, require.resolve(`@readme/oas-examples/${name}`))

async function auditJson (appName: string, specFile: string): Promise<{ code: number, report: Report }> {
  const res = await runCli(['audit', app(appName), '--openapi', specFile, '--json'])
  return { code: res.code, report: JSON.parse(res.stdout) as Report }
}

function spawnCli (argv: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...argv], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr })
    })
  })
}

test('the Petstore (OpenAPI 3.0, JSON): exactly the operations the app leaves out, and what a client gets', async (t) => {
  const res = await runCli(['audit', app('petstore-3.0.cjs'), '--openapi', example('3.0/json/petstore.json')])
  t.equal(res.code, 1)
  t.equal(res.stderr, '')
  t.equal(res.stdout, `audit of test/fixtures/petstore-3.0.cjs against ${example('3.0/json/petstore.json')} (OpenAPI 3.0.0 "Swagger Petstore", 20 operations)

In the spec, not implemented by the app (6):
  DELETE  /v2/pet/{petId}            501 FST_METHOD_NOT_IMPLEMENTED
  GET     /v2/store/inventory        404 Not Found
  DELETE  /v2/store/order/{orderId}  501 FST_METHOD_NOT_IMPLEMENTED
  POST    /v2/user/createWithList    501 FST_ENDPOINT_NOT_IMPLEMENTED
  PUT     /v2/user/{username}        405 FST_METHOD_NOT_ALLOWED (Allow: GET, HEAD, OPTIONS)
  DELETE  /v2/user/{username}        501 FST_METHOD_NOT_IMPLEMENTED

drift: 6 differences
`)
})

test('the Petstore: --json for machines', async (t) => {
  const { code, report } = await auditJson('petstore-3.0.cjs', example('3.0/json/petstore.json'))
  t.equal(code, 1)
  t.same(report, {
    spec: { file: example('3.0/json/petstore.json'), version: '3.0.0', title: 'Swagger Petstore', operations: 20 },
    missing: [
      { method: 'DELETE', path: '/v2/pet/{petId}', status: 501, code: 'FST_METHOD_NOT_IMPLEMENTED' },
      { method: 'GET', path: '/v2/store/inventory', status: 404 },
      { method: 'DELETE', path: '/v2/store/order/{orderId}', status: 501, code: 'FST_METHOD_NOT_IMPLEMENTED' },
      { method: 'POST', path: '/v2/user/createWithList', status: 501, code: 'FST_ENDPOINT_NOT_IMPLEMENTED' },
      { method: 'PUT', path: '/v2/user/{username}', status: 405, code: 'FST_METHOD_NOT_ALLOWED', allow: ['GET', 'HEAD', 'OPTIONS'] },
      { method: 'DELETE', path: '/v2/user/{username}', status: 501, code: 'FST_METHOD_NOT_IMPLEMENTED' }
    ],
    undocumented: [],
    disagreements: [],
    lifecycle: [],
    drift: 6
  })
})

test('an app that implements every operation, and nothing else, agrees: exit 0', async (t) => {
  const res = await runCli(['audit', app('petstore-complete.cjs'), '--openapi', example('3.0/json/petstore.json')])
  t.equal(res.code, 0)
  t.equal(res.stderr, '')
  t.equal(res.stdout, `audit of test/fixtures/petstore-complete.cjs against ${example('3.0/json/petstore.json')} (OpenAPI 3.0.0 "Swagger Petstore", 20 operations)

no drift: the app implements the 20 operations of the spec, as annotated, and no others
`)
  // The same app against the same contract written in YAML and as OpenAPI 3.1.
  for (const file of ['3.0/yaml/petstore.yaml', '3.1/json/petstore.json', '3.1/yaml/petstore.yaml']) {
    const { code, report } = await auditJson('petstore-complete.cjs', example(file))
    t.equal(code, 0, file)
    t.equal(report.drift, 0, file)
  }
})

test('real specs of every kind report exactly the operations the generated app leaves out', async (t) => {
  const cases: Array<[string, string, string, number, Missing[], Array<{ method: string, path: string }>]> = [
    ['petstore-3.1.cjs', '3.1/yaml/petstore.yaml', '3.1.0', 20, [
      { method: 'GET', path: '/v2/pet/findByTags', status: 501, code: 'FST_ENDPOINT_NOT_IMPLEMENTED' },
      { method: 'POST', path: '/v2/pet/{petId}/uploadImage', status: 404 },
      // The router sends /v2/user/logout to /v2/user/:username: not an implementation.
      { method: 'GET', path: '/v2/user/logout', answeredBy: { route: '/v2/user/:username', catchAll: false } }
    ], []],
    ['swagger-2.0.cjs', '2.0/json/petstore.json', '2.0', 20, [
      { method: 'GET', path: '/v2/store/order/{orderId}', status: 405, code: 'FST_METHOD_NOT_ALLOWED', allow: ['DELETE', 'OPTIONS'] },
      { method: 'POST', path: '/v2/user/createWithArray', status: 405, code: 'FST_METHOD_NOT_ALLOWED', allow: ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'] }
    ], [{ method: 'GET', path: '/v2/health' }]],
    ['train-travel.cjs', '3.1/json/train-travel.json', '3.1.0', 7, [
      { method: 'DELETE', path: '/bookings/{bookingId}', status: 501, code: 'FST_ENDPOINT_NOT_IMPLEMENTED' },
      { method: 'POST', path: '/bookings/{bookingId}/payment', status: 404 }
    ], []],
    ['star-trek.cjs', '3.0/yaml/star-trek.yaml', '3.0.1', 120, [
      { method: 'GET', path: '/api/v1/rest/animal', status: 404 },
      { method: 'POST', path: '/api/v1/rest/spacecraft/search', status: 405, code: 'FST_METHOD_NOT_ALLOWED', allow: ['GET', 'HEAD', 'OPTIONS'] },
      { method: 'GET', path: '/api/v1/rest/weapon', status: 404 }
    ], []],
    ['readme-api.cjs', '3.1/json/readme.json', '3.1.0', 54, [
      { method: 'POST', path: '/v2/projects/{subdomain}/apikeys', status: 501, code: 'FST_ENDPOINT_NOT_IMPLEMENTED' },
      { method: 'DELETE', path: '/v2/branches/{branch}/categories/{section}/{title}', status: 405, code: 'FST_METHOD_NOT_ALLOWED', allow: ['GET', 'HEAD', 'PATCH', 'OPTIONS'] }
    ], []]
  ]
  for (const [appName, file, version, operations, missing, undocumented] of cases) {
    const { code, report } = await auditJson(appName, example(file))
    t.equal(code, 1, file)
    t.equal(report.spec.version, version, file)
    t.equal(report.spec.operations, operations, file)
    t.same(report.missing, missing, file)
    t.same(report.undocumented.map(({ method, path }) => ({ method, path })), undocumented, file)
    t.same(report.disagreements, [], file)
  }
  const swagger2 = await runCli(['audit', app('swagger-2.0.cjs'), '--openapi', example('2.0/json/petstore.json')])
  t.equal(swagger2.stdout.split('\n')[0], `audit of test/fixtures/swagger-2.0.cjs against ${example('2.0/json/petstore.json')} (Swagger 2.0 "Swagger Petstore", 20 operations)`)
  t.match(swagger2.stdout, '\nImplemented by the app, not in the spec (1):\n  GET  /v2/health\n')
})

test('annotations, base paths, parameter styles and routes the spec does not list', async (t) => {
  const { code, report } = await auditJson('annotated.cjs', spec('../annotated.yaml'))
  t.equal(code, 1)
  t.equal(report.spec.operations, 17)
  // The spec's example (42) makes the concrete path the app is asked about; a declared
  // route is asked about under the server path where it is.
  t.same(report.missing, [
    // PUT's only route (/v1/later) is declared, not built: no route of this build has it.
    { method: 'PUT', path: '/v1/items/{id}', status: 501, code: 'FST_METHOD_NOT_IMPLEMENTED' },
    { method: 'DELETE', path: '/v1-beta/only-beta', status: 501, code: 'FST_ENDPOINT_NOT_IMPLEMENTED' }
  ])
  // Hidden routes, HEAD and OPTIONS are not reported; /v1/files/* serves /files/{path};
  // the widgets route, written with a regex, serves the operation's own server path.
  t.same(report.undocumented, [
    { method: 'GET', path: '/v1/admin', implemented: true, tier: 'pro', feature: 'admin' },
    { method: 'GET', path: '/v1/health', implemented: true },
    { method: 'PUT', path: '/v1/later', implemented: false }
  ])
  t.same(report.disagreements, [
    { method: 'GET', path: '/v1/exports', field: 'x-tier', spec: 'plus', app: ['pro'] },
    { method: 'GET', path: '/v1/beta', field: 'x-feature', spec: 'beta', app: [null] },
    { method: 'GET', path: '/v1/plain', field: 'x-tier', spec: null, app: ['plus'] },
    { method: 'POST', path: '/v1/built', field: 'x-not-implemented', spec: true, app: false },
    { method: 'GET', path: '/v1/search', field: 'x-tier', spec: 'pro', app: ['pro', null] }
  ])
  t.equal(report.drift, 10)

  const text = await runCli(['audit', app('annotated.cjs'), '--openapi', spec('../annotated.yaml')])
  t.equal(text.stdout, `audit of test/fixtures/annotated.cjs against test/fixtures/specs/../annotated.yaml (OpenAPI 3.1.0 "Annotated", 17 operations)

In the spec, not implemented by the app (2):
  PUT     /v1/items/{id}      501 FST_METHOD_NOT_IMPLEMENTED
  DELETE  /v1-beta/only-beta  501 FST_ENDPOINT_NOT_IMPLEMENTED

Implemented by the app, not in the spec (3):
  GET  /v1/admin   tier pro, feature admin
  GET  /v1/health
  PUT  /v1/later   not built

Annotations that disagree (5):
  GET   /v1/exports  x-tier: spec "plus", app "pro"
  GET   /v1/beta     x-feature: spec "beta", app (none)
  GET   /v1/plain    x-tier: spec (none), app "plus"
  POST  /v1/built    x-not-implemented: spec true, app implemented
  GET   /v1/search   x-tier: spec "pro", app "pro", (none)

drift: 10 differences
`)
})

test('a root catch-all route does not implement the operations it swallows', async (t) => {
  const res = await runCli(['audit', app('catch-all.cjs'), '--openapi', spec('../catch-all.yaml')])
  t.equal(res.code, 1)
  t.equal(res.stdout, `audit of test/fixtures/catch-all.cjs against test/fixtures/specs/../catch-all.yaml (OpenAPI 3.0.3 "Catch-all", 3 operations)

In the spec, not implemented by the app (2):
  GET   /about          answered by a catch-all route
  POST  /api/pets/{id}  501 FST_METHOD_NOT_IMPLEMENTED

Implemented by the app, not in the spec (1):
  GET  /*

drift: 3 differences
`)
})

test('singular wording, an untitled spec, a spec with no paths, Swagger 2.0 without basePath', async (t) => {
  const one = await runCli(['audit', app('hello.mjs'), '--openapi', spec('one.yaml')])
  t.equal(one.code, 0)
  t.equal(one.stdout, 'audit of test/fixtures/hello.mjs against test/fixtures/specs/one.yaml (OpenAPI 3.0.3, 1 operation)\n\nno drift: the app implements the 1 operation of the spec, as annotated, and no others\n')

  const missing = await runCli(['audit', app('hello.mjs'), '--openapi', spec('one-missing.json')])
  t.equal(missing.code, 1)
  t.match(missing.stdout, '\n  GET  /bye  404 Not Found\n\ndrift: 1 difference\n')

  const webhooks = await auditJson('hello.mjs', example('3.1/json/webhooks.json'))
  t.equal(webhooks.code, 1)
  t.equal(webhooks.report.spec.operations, 0)
  t.same(webhooks.report.undocumented, [{ method: 'GET', path: '/hello', implemented: true }])

  const noBasePath = await auditJson('hello.mjs', example('2.0/json/api-with-examples.json'))
  t.equal(noBasePath.code, 1)
  t.same(noBasePath.report.missing.map(({ method, path, status }) => `${method} ${path} ${String(status)}`), ['GET / 404', 'GET /v2 404'])
})

test('colours on a terminal, and progress on stderr only there', async (t) => {
  const res = await runCli(['audit', app('catch-all.cjs'), '--openapi', spec('../catch-all.yaml')], { tty: true })
  t.equal(res.code, 1)
  t.match(res.stdout, '\u001b[1maudit\u001b[22m of')
  t.match(res.stdout, '\u001b[31manswered by a catch-all route\u001b[39m')
  t.match(res.stdout, '\u001b[31mdrift: 3 differences\u001b[39m')
  t.match(res.stderr, '\r\u001b[2Kreading test/fixtures/specs/../catch-all.yaml')
  t.match(res.stderr, '\r\u001b[2Kchecking operation 3/3')
  t.ok(res.stderr.endsWith('\r\u001b[2K'), 'the progress line is cleared')

  const ok = await runCli(['audit', app('petstore-complete.cjs'), '--openapi', example('3.0/json/petstore.json')], { tty: true })
  t.match(ok.stdout, '\u001b[32mno drift')
})

test('a spec that cannot be used is bad input: exit 2 and one line, never a stack', async (t) => {
  const cases: Array<[string, string | RegExp]> = [
    [spec('nope.yaml'), 'cannot read the spec test/fixtures/specs/nope.yaml: no such file'],
    [spec(''), /^cannot read the spec test\/fixtures\/specs\/: EISDIR: illegal operation on a directory, read$/],
    [spec('bad-yaml.yaml'), /^test\/fixtures\/specs\/bad-yaml.yaml is not YAML: .* at line 4, column 1:$/],
    [spec('bad-json.json'), /^test\/fixtures\/specs\/bad-json.json is not JSON: /],
    [spec('scalar.yaml'), 'test/fixtures/specs/scalar.yaml is not an OpenAPI document: it holds no object'],
    [spec('no-openapi.json'), 'test/fixtures/specs/no-openapi.json is not an OpenAPI document: it has no "openapi" field'],
    [spec('openapi-4.yaml'), 'test/fixtures/specs/openapi-4.yaml: OpenAPI 4.0.0 is not supported; use OpenAPI 3.0 or 3.1 (or Swagger 2.0)'],
    [spec('openapi-number.yaml'), 'test/fixtures/specs/openapi-number.yaml: OpenAPI 3 is not supported; use OpenAPI 3.0 or 3.1 (or Swagger 2.0)'],
    [spec('invalid.yaml'), 'test/fixtures/specs/invalid.yaml is not a valid OpenAPI 3.0.0 document: REQUIRED must have required property \'version\' (and 1 more)'],
    [spec('invalid-one.yaml'), 'test/fixtures/specs/invalid-one.yaml is not a valid OpenAPI 3.1.0 document: REQUIRED must have required property \'version\''],
    [spec('missing-ref.yaml'), 'test/fixtures/specs/missing-ref.yaml is not a valid OpenAPI 3.1.0 document: Missing $ref pointer "#/components/responses/Nope". Token "components" does not exist.'],
    [spec('external-ref.yaml'), /^test\/fixtures\/specs\/external-ref.yaml is not a valid OpenAPI 3.1.0 document: Error opening file .*missing-file.yaml/]
  ]
  for (const [file, reason] of cases) {
    const res = await runCli(['audit', app('petstore-complete.cjs'), '--openapi', file])
    t.equal(res.code, 2, file)
    t.equal(res.stdout, '', file)
    t.equal(res.stderr.split('\n').length, 2, `${file}: one line`)
    const line = res.stderr.replace(/^fastify-not-implemented: /, '').replace(/\n$/, '')
    if (typeof reason === 'string') t.equal(line, reason, file)
    else t.match(line, reason, file)
  }
})

test('audit needs an app and a spec', async (t) => {
  const cases: Array<[string[], string]> = [
    [['audit', app('petstore-complete.cjs')], 'audit: missing --openapi <spec> (see fastify-not-implemented audit --help)'],
    [['audit', '--openapi', spec('one.yaml')], 'audit: missing <app> (see fastify-not-implemented audit --help)'],
    [['audit', app('nope.cjs'), '--openapi', spec('one.yaml')], 'cannot find the app module test/fixtures/nope.cjs']
  ]
  for (const [argv, reason] of cases) {
    const res = await runCli(argv)
    t.equal(res.code, 2, argv.join(' '))
    t.equal(res.stderr, `fastify-not-implemented: ${reason}\n`, argv.join(' '))
  }
})

test('the bin: exit 1 on drift, 2 on a malformed spec, never a stack', async (t) => {
  const drift = await spawnCli(['audit', app('petstore-3.0.cjs'), '--openapi', example('3.0/json/petstore.json')])
  t.equal(drift.code, 1)
  t.match(drift.stdout, 'drift: 6 differences')
  t.equal(drift.stderr, '')

  const malformed = await spawnCli(['audit', app('petstore-complete.cjs'), '--openapi', spec('bad-yaml.yaml')])
  t.equal(malformed.code, 2)
  t.equal(malformed.stdout, '')
  t.match(malformed.stderr, /^fastify-not-implemented: test\/fixtures\/specs\/bad-yaml.yaml is not YAML: [^\n]*\n$/)
})

test('spec reading: base paths from servers, and sample values for path parameters', async (t) => {
  const { operations } = await readSpec(spec('samples.yaml'), root)
  t.same(operations.map(({ method, template, bases }) => ({ method, template, bases })), [
    { method: 'GET', template: '/a/{p1}/{p2}/{p3}/{p4}/{p5}/{p6}/{p7}/{p8}/{p9}/{p10}', bases: ['/api'] },
    { method: 'GET', template: '/b/{id}', bases: ['/assets', '/v9'] },
    { method: 'POST', template: '/b/{id}', bases: ['/api'] }
  ])
  t.same(operations[0].samples, {
    p1: 'from-parameter',
    p2: 'from-examples',
    p3: 'from-schema',
    p4: 'from-schema-examples',
    p5: 'from-enum',
    p6: '7',
    p7: '00000000-0000-4000-8000-000000000000',
    p8: 'op level wins',
    p9: 'true',
    p10: '1'
  })
  t.same(operations[1].samples, { id: '1' })

  t.equal(basePathOf({ url: 'https://api.example.com/v1/' }), '/v1')
  t.equal(basePathOf({ url: 'https://api.example.com' }), '')
  t.equal(basePathOf({ url: '/' }), '')
  t.equal(basePathOf({ url: 'v1/?debug=1' }), '/v1')
  t.equal(basePathOf({ url: './api#top' }), '/api')
  t.equal(basePathOf({ url: '{scheme}://{host}/{base}', variables: { scheme: { default: 'https' }, host: { default: 'h' }, base: { enum: ['x'] } } }), '')
  t.equal(basePathOf({ url: 'http://[bad/v1' }), '')
  t.equal(basePathOf({ description: 'no url' }), '')
  t.equal(basePathOf(null), '')
})
