// The package as users get it: `npm pack`, install the tarball into throwaway CommonJS,
// ES module and TypeScript apps (no network: every package comes from npm's cache), run them.
// The apps are in test/fixtures/pack: cjs/app.js, esm/app.js, and ts/, type-checked with the
// repository's tsc before it runs: app.mts (ES modules), require.cts (`import x = require()`),
// tiers.mts (augments TierRegistry; its `@ts-expect-error` lines must stay compile errors), and
// typebox/, the exported schemas in route responses with @sinclair/typebox 0.34 and with TypeBox
// 1.x (`typebox`, with @fastify/type-provider-typebox 6), each from CommonJS and from ES modules.
import { test } from 'tap'
import { spawnSync } from 'node:child_process'
import { builtinModules } from 'node:module'
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(__dirname, '..')
const fixtures = join(__dirname, 'fixtures', 'pack')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const registry = (process.env.npm_config_registry ?? 'https://registry.npmjs.org/').replace(/\/?$/, '/')

interface Manifest {
  name: string
  version: string
  main?: string
  types?: string
  bin?: string | Record<string, string>
  exports?: unknown
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  devDependencies?: Record<string, string>
}

interface LockEntry {
  version?: string
  integrity?: string
  resolved?: string
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  [field: string]: unknown
}

interface PackResult {
  filename: string
  integrity: string
  files: Array<{ path: string }>
}

interface Seen {
  status: number
  allow?: string | null
  cacheControl?: string | null
  body: Record<string, unknown>
}

interface AppOutput {
  exports: Record<string, unknown>
  seen: Record<string, Seen>
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest
const exportNames = ['clientErrorHandler', 'default', 'errors', 'fastifyNotImplemented', 'notImplemented', 'openFeatureFlags', 'schemas']
const codes = [
  'FST_METHOD_NOT_IMPLEMENTED',
  'FST_METHOD_NOT_ALLOWED',
  'FST_TIER_REQUIRED',
  'FST_FEATURE_DISABLED',
  'FST_ENDPOINT_NOT_IMPLEMENTED',
  'FST_TIER_UNAVAILABLE',
  'FST_VERSION_NOT_IMPLEMENTED'
]

// The children run without the test runner's loaders and coverage hooks.
function childEnv (): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  return env
}

function run (command: string, args: string[], cwd: string, timeout = 60_000): { status: number | null, output: string, stdout: string } {
  const result = spawnSync(command, args, { cwd, env: childEnv(), encoding: 'utf8', timeout })
  const output = `$ ${command} ${args.join(' ')}\n${result.stdout}${result.stderr}${result.error === undefined ? '' : String(result.error)}`
  return { status: result.status, output, stdout: result.stdout }
}

function lastJsonLine (stdout: string): AppOutput {
  const lines = stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1]) as AppOutput
}

// Every file the manifest points users at.
function entryPoints (pkg: Manifest): string[] {
  const targets: string[] = []
  const walk = (value: unknown): void => {
    if (typeof value === 'string') targets.push(value)
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk)
  }
  walk(pkg.main)
  walk(pkg.types)
  walk(pkg.bin)
  walk(pkg.exports)
  return [...new Set(targets.map((target) => target.replace(/^\.\//, '')))]
}

// The tarball holds what a user needs and nothing else: the built code with its source maps and
// the sources they map to (test/issues/packaged-source-maps.test.ts checks that they match).
function unexpectedFiles (files: string[], pkg: Manifest): string[] {
  const entries = new Set(entryPoints(pkg))
  return files.filter((file) =>
    !(file === 'package.json' || file === 'README.md' || /^LICEN[CS]E(\.\w+)?$/i.test(file) ||
      file === 'types/index.d.ts' || /^dist\/.+\.js(\.map)?$/.test(file) || /^lib\/.+\.ts$/.test(file) || entries.has(file)))
}

// A lockfile for the throwaway project, cut from the repository's own: the same versions of
// fastify, @types/node and the package's dependencies, each with its tarball URL and integrity,
// so `npm ci --offline` takes every tarball from npm's cache by its integrity, as the
// repository's own install left them there, and resolves no version and reads no metadata.
function lockfileFor (project: Record<string, string>, tarball: string, pack: PackResult, pkg: Manifest): object {
  const repoLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  const from = repoLock.packages
  const packages: Record<string, LockEntry> = {
    '': { name: 'pack-smoke', version: '1.0.0', dependencies: project },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: `file:${tarball}`,
      integrity: pack.integrity,
      dependencies: pkg.dependencies,
      peerDependencies: pkg.peerDependencies,
      peerDependenciesMeta: pkg.peerDependenciesMeta
    }
  }
  // Node's lookup: the package's own node_modules, then each parent's.
  const locate = (location: string, name: string): string | undefined => {
    let base = location
    for (;;) {
      const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`
      if (from[candidate] !== undefined) return candidate
      if (base === '') return undefined
      const up = base.lastIndexOf('/node_modules/')
      base = up === -1 ? '' : base.slice(0, up)
    }
  }
  const queue: Array<[string, string]> = Object.keys(project)
    .filter((name) => name !== pkg.name)
    .map((name) => ['', name])
  const required = (entry: LockEntry): string[] => [
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.peerDependencies ?? {}).filter((name) => entry.peerDependenciesMeta?.[name]?.optional !== true)
  ]
  for (const name of required(packages[`node_modules/${pkg.name}`])) queue.push([`node_modules/${pkg.name}`, name])
  while (queue.length > 0) {
    const [location, name] = queue.shift() as [string, string]
    const found = locate(location, name)
    if (found === undefined) throw new Error(`package-lock.json has no "${name}" for ${location || 'the project'}: run npm install`)
    if (packages[found] !== undefined) continue
    // In the throwaway project nothing is a dev, optional or peer-only install.
    const entry = { ...from[found] }
    for (const flag of ['dev', 'devOptional', 'optional', 'peer']) delete entry[flag]
    if (entry.resolved === undefined) {
      const name = found.slice(found.lastIndexOf('node_modules/') + 'node_modules/'.length)
      entry.resolved = `${registry}${name}/-/${name.split('/').pop()}-${entry.version}.tgz`
    }
    packages[found] = entry
    for (const dependency of required(entry)) queue.push([found, dependency])
  }
  return { name: 'pack-smoke', version: '1.0.0', lockfileVersion: 3, requires: true, packages }
}

// The packages a compiled CommonJS file loads, with `require()` or `import()`.
function requiredPackages (source: string): string[] {
  const names = new Set<string>()
  for (const match of source.matchAll(/\b(?:require|import)\(\s*(['"])([^'"]+)\1\s*\)/g)) {
    const specifier = match[2]
    if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0])) continue
    names.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0])
  }
  return [...names]
}

function jsFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => join(entry.parentPath, entry.name))
}

test('the npm tarball works from CommonJS, ES modules and TypeScript', async (t) => {
  t.setTimeout(180_000)
  const tmp = mkdtempSync(join(tmpdir(), 'fastify-not-implemented-pack-'))
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }))

  const packed = run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], root)
  if (packed.status !== 0) t.fail('npm pack failed', { output: packed.output })
  const pack = (JSON.parse(packed.stdout) as PackResult[])[0]
  const files = pack.files.map((file) => file.path).sort()

  t.test('the tarball holds what users need and nothing else', async (t) => {
    for (const file of ['package.json', 'README.md', 'types/index.d.ts', 'dist/index.js']) {
      t.ok(files.includes(file), `${file} is in the tarball`)
    }
    t.ok(files.some((file) => /^LICEN[CS]E(\.\w+)?$/i.test(file)), 'a LICENSE is in the tarball')
    for (const entry of entryPoints(manifest)) t.ok(files.includes(entry), `${entry}, named in package.json, is in the tarball`)
    t.same(unexpectedFiles(files, manifest), [], 'no tests, fixtures, scripts or config in the tarball')
  })

  const project = join(tmp, 'app')
  const tarball = relative(project, join(tmp, pack.filename))
  const versionOf = (name: string): string =>
    (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as Manifest).version
  const dependencies = {
    [manifest.name]: `file:${tarball}`,
    fastify: versionOf('fastify'),
    '@types/node': versionOf('@types/node'),
    // The two TypeBox lines an app may use the exported schemas with.
    '@sinclair/typebox': versionOf('@sinclair/typebox'),
    typebox: versionOf('typebox'),
    '@fastify/type-provider-typebox': versionOf('@fastify/type-provider-typebox')
  }
  cpSync(fixtures, project, { recursive: true })
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-smoke', version: '1.0.0', private: true, dependencies }, null, 2))
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(lockfileFor(dependencies, tarball, pack, manifest), null, 2))

  const installed = run(npm, ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], project)
  if (installed.status !== 0) {
    t.fail('installing the tarball from the npm cache failed (run `npm ci` in the repository first to fill the cache)', { output: installed.output })
    return
  }

  const installedPackage = join(project, 'node_modules', manifest.name)
  t.test('everything dist requires is a dependency or peer dependency, and resolves in a user\'s install', async (t) => {
    const runtime = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})])
    const optional = (name: string): boolean => manifest.peerDependenciesMeta?.[name]?.optional === true
    const problems: string[] = []
    for (const file of jsFiles(join(installedPackage, 'dist'))) {
      const shown = relative(installedPackage, file)
      for (const name of requiredPackages(readFileSync(file, 'utf8'))) {
        if (!runtime.has(name)) {
          const dev = manifest.devDependencies?.[name] !== undefined ? ' (only a devDependency: users do not get it)' : ''
          problems.push(`${shown} requires "${name}", which is not in "dependencies" or "peerDependencies"${dev}`)
        } else if (!optional(name)) {
          try {
            require.resolve(name, { paths: [dirname(file)] })
          } catch {
            problems.push(`${shown} requires "${name}", which a fresh install of the tarball does not have`)
          }
        }
      }
    }
    t.same(problems, [], 'every runtime require is satisfied by the published dependencies')
  })

  function checkSeen (t: tap.Test, seen: Record<string, Seen>): void {
    t.match(seen['GET /users'], { status: 200, body: [] }, 'a routed GET is untouched')
    const notAllowed = seen['POST /users']
    t.match(notAllowed, { status: 405, body: { statusCode: 405, code: 'FST_METHOD_NOT_ALLOWED' } }, 'POST where only GET routes: 405')
    t.equal(notAllowed.allow, 'GET, HEAD, OPTIONS', '405 carries Allow')
    t.same(notAllowed.body.allow, ['GET', 'HEAD', 'OPTIONS'], '405 body lists the same methods')
    t.ok(notAllowed.cacheControl, '405 carries Cache-Control')
    t.match(seen['PROPFIND /users'], { status: 501, body: { statusCode: 501, code: 'FST_METHOD_NOT_IMPLEMENTED' } }, 'a method no route has: 501')
    t.ok(seen['PROPFIND /users'].cacheControl, '501 carries Cache-Control')
    t.match(seen['DELETE /users/1'], { status: 501, body: { code: 'FST_ENDPOINT_NOT_IMPLEMENTED' } }, 'a declared route: 501')
  }

  t.test('a CommonJS app', async (t) => {
    const app = run(process.execPath, ['app.js'], join(project, 'cjs'), 20_000)
    if (app.status !== 0) return t.fail('the CommonJS app failed', { output: app.output })
    const { exports, seen } = lastJsonLine(app.stdout)
    t.same(exports, { type: 'function', names: exportNames, sameFunction: true }, 'require() gives the plugin with every export')
    checkSeen(t, seen)
  })

  t.test('an ES module app', async (t) => {
    const app = run(process.execPath, ['app.js'], join(project, 'esm'), 20_000)
    if (app.status !== 0) return t.fail('the ES module app failed', { output: app.output })
    const { exports, seen } = lastJsonLine(app.stdout)
    t.same(exports, { type: 'function', names: exportNames, sameFunction: true, sameValues: true }, 'default and named imports are the plugin and its exports')
    checkSeen(t, seen)
  })

  t.test('a TypeScript app (strict, module nodenext)', async (t) => {
    const dir = join(project, 'ts')
    const checked = run(process.execPath, [tsc, '-p', dir], dir)
    if (checked.status !== 0) return t.fail('the TypeScript app does not type-check against the published types', { output: checked.output })
    t.equal(checked.status, 0, 'type-checks, with misspelled tiers rejected once TierRegistry is augmented')

    const esm = run(process.execPath, ['app.mjs'], dir, 20_000)
    if (esm.status !== 0) return t.fail('the TypeScript ES module app failed', { output: esm.output })
    const { exports, seen } = lastJsonLine(esm.stdout)
    t.match(exports, {
      type: 'function',
      names: exportNames,
      sameFunction: true,
      tierRequired: { code: 'FST_TIER_REQUIRED', statusCode: 501, isError: true },
      schemaIds: codes.map((code) => `fastify-not-implemented/${code}`)
    }, 'the TypeScript imports are the plugin and its exports')
    checkSeen(t, seen)
    t.match(seen['GET /reports'], {
      status: 501,
      cacheControl: /private/,
      body: { code: 'FST_TIER_REQUIRED', requiredTier: 'plus' }
    }, 'a tier-gated route answers a lower tier with 501')

    const cjs = run(process.execPath, ['require.cjs'], dir, 20_000)
    if (cjs.status !== 0) return t.fail('the TypeScript CommonJS app failed', { output: cjs.output })
    const fromRequire = lastJsonLine(cjs.stdout)
    t.same(fromRequire.exports, { type: 'function', sameFunction: true }, 'import = require() gives the plugin')
    t.match(fromRequire.seen, {
      'POST /users': { status: 405, body: { code: 'FST_METHOD_NOT_ALLOWED' } },
      'PROPFIND /users': { status: 501, body: { code: 'FST_METHOD_NOT_IMPLEMENTED' } }
    }, 'and answers 405 and 501')
  })

  t.test('the schemas in route responses with TypeBox 0.34 and 1.x, from CommonJS and ES modules', async (t) => {
    const dir = join(project, 'typebox')
    // Strict, nodenext; nothing is emitted on an error. (The libraries' declaration files, the
    // package's among them, are checked in full by the TypeScript app above: not again here.)
    const checked = run(process.execPath, [tsc, '-p', dir], dir)
    if (checked.status !== 0) return t.fail('the TypeBox recipes do not type-check against the published types', { output: checked.output })
    t.equal(checked.status, 0, 'every recipe type-checks and keeps the body\'s type')

    const apps = {
      'sinclair.mjs': ['/schema', '/ref', '/by-id'],
      'sinclair.cjs': ['/schema', '/ref', '/by-id'],
      'typebox.mjs': ['/schema', '/by-id', '/handler'],
      'typebox.cjs': ['/schema', '/by-id', '/handler']
    }
    for (const [file, urls] of Object.entries(apps)) {
      const app = run(process.execPath, [file], dir, 20_000)
      if (app.status !== 0) {
        t.fail(`${file} failed`, { output: app.output })
        continue
      }
      const { seen } = JSON.parse(app.stdout.trim().split('\n').pop() as string) as { seen: Record<string, unknown> }
      t.same(Object.keys(seen), urls, `${file}: every route answered`)
      for (const url of urls) {
        t.match(seen[url], {
          status: 501,
          body: { statusCode: 501, code: 'FST_TIER_REQUIRED', error: String, message: String, requiredTier: 'plus' },
          valid: true
        }, `${file} ${url}: the 501 goes out through the route's schema, and the schema accepts it`)
      }
    }
  })
})
