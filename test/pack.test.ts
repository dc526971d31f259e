// The packages as users get them: `npm pack` the plugin and the command-line tool (cli/), install
// the tarballs into throwaway apps (no network: every package comes from npm's cache), run them.
// The plugin goes into CommonJS, ES module and TypeScript apps, in test/fixtures/pack: cjs/app.js,
// esm/app.js, and ts/, type-checked with the repository's tsc before it runs: app.mts (ES
// modules), require.cts (`import x = require()`), tiers.mts (augments TierRegistry; its
// `@ts-expect-error` lines must stay compile errors), and typebox/, the exported schemas in route
// responses with @sinclair/typebox 0.34 and with TypeBox 1.x (`typebox`, with
// @fastify/type-provider-typebox 6), each from CommonJS and from ES modules. The tool goes, with
// the plugin, into an app of its README, and `npx fastify-not-implemented` runs from it.
import { test } from 'tap'
import { spawnSync } from 'node:child_process'
import { builtinModules } from 'node:module'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(__dirname, '..')
const cliRoot = join(root, 'cli')
const fixtures = join(__dirname, 'fixtures', 'pack')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const registry = (process.env.npm_config_registry ?? 'https://registry.npmjs.org/').replace(/\/?$/, '/')

interface Manifest {
  name: string
  version: string
  license?: string
  main?: string
  types?: string
  bin?: string | Record<string, string>
  exports?: unknown
  engines?: Record<string, string>
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
const cliManifest = JSON.parse(readFileSync(join(cliRoot, 'package.json'), 'utf8')) as Manifest
// What the plugin brings into an app beside Fastify: nothing that only the tool needs.
const pluginDependencies = ['@fastify/error', '@sinclair/typebox', 'fastify-plugin']
const exportNames = ['clientErrorHandler', 'default', 'diagnosticsChannels', 'errors', 'fastifyNotImplemented', 'notImplemented', 'openFeatureFlags', 'openTelemetryMetrics', 'problemSchemas', 'schemas']
const codes = [
  'FST_METHOD_NOT_IMPLEMENTED',
  'FST_METHOD_NOT_ALLOWED',
  'FST_TIER_REQUIRED',
  'FST_FEATURE_DISABLED',
  'FST_ENDPOINT_NOT_IMPLEMENTED',
  'FST_TIER_UNAVAILABLE',
  'FST_VERSION_NOT_IMPLEMENTED',
  'FST_ENDPOINT_GONE'
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

// A packed package of this repository: where its entry sits in the repository's lockfile
// ('' for the plugin at the root, 'cli' for the tool), and its tarball as the project names it.
interface Packed {
  manifest: Manifest
  source: string
  tarball: string
  pack: PackResult
}

// A lockfile for the throwaway project, cut from the repository's own: the same versions of
// fastify, @types/node and the packages' dependencies, each with its tarball URL and integrity,
// so `npm ci --offline` takes every tarball from npm's cache by its integrity, as the
// repository's own install left them there, and resolves no version and reads no metadata.
function lockfileFor (project: Record<string, string>, packed: Packed[]): { packages: Record<string, LockEntry> } {
  const repoLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  const from = repoLock.packages
  const packages: Record<string, LockEntry> = {
    '': { name: 'pack-smoke', version: '1.0.0', dependencies: project }
  }
  // Where an entry of the repository's lockfile goes in the project's: a packed package is
  // installed under its name, with what npm nested inside its workspace folder.
  const target = (location: string): string => {
    for (const { manifest: pkg, source } of packed) {
      if (location === source) return `node_modules/${pkg.name}`
      if (source !== '' && location.startsWith(`${source}/`)) return `node_modules/${pkg.name}${location.slice(source.length)}`
    }
    return location
  }
  for (const { manifest: pkg, source, tarball, pack } of packed) {
    packages[target(source)] = {
      version: pkg.version,
      resolved: `file:${tarball}`,
      integrity: pack.integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : pkg.bin,
      engines: pkg.engines,
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
  const required = (entry: LockEntry): string[] => [
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.peerDependencies ?? {}).filter((name) => entry.peerDependenciesMeta?.[name]?.optional !== true)
  ]
  const names = new Set(packed.map(({ manifest: pkg }) => pkg.name))
  const queue: Array<[string, string]> = Object.keys(project)
    .filter((name) => !names.has(name))
    .map((name) => ['', name])
  for (const { source } of packed) {
    for (const name of required(packages[target(source)])) queue.push([source, name])
  }
  while (queue.length > 0) {
    const [location, name] = queue.shift() as [string, string]
    const found = locate(location, name)
    if (found === undefined) throw new Error(`package-lock.json has no "${name}" for ${location || 'the project'}: run npm install`)
    // A link is a package of this repository: the tool's link to the plugin.
    const link = from[found].link === true ? packed.find(({ source }) => source === from[found].resolved) : undefined
    if (from[found].link === true && link === undefined) throw new Error(`${found} links to "${String(from[found].resolved)}", which is not packed`)
    if (link !== undefined || packages[target(found)] !== undefined) continue
    // In the throwaway project nothing is a dev, optional or peer-only install.
    const entry = { ...from[found] }
    for (const flag of ['dev', 'devOptional', 'optional', 'peer']) delete entry[flag]
    if (entry.resolved === undefined) {
      const name = found.slice(found.lastIndexOf('node_modules/') + 'node_modules/'.length)
      entry.resolved = `${registry}${name}/-/${name.split('/').pop()}-${entry.version}.tgz`
    }
    packages[target(found)] = entry
    for (const dependency of required(entry)) queue.push([found, dependency])
  }
  return { name: 'pack-smoke', version: '1.0.0', lockfileVersion: 3, requires: true, packages } as { packages: Record<string, LockEntry> }
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

const versionOf = (name: string): string =>
  (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as Manifest).version

// `npm pack` of the files on disk (npm test builds first), as publishing would pack them.
function packIn (t: tap.Test, dir: string, destination: string): PackResult | undefined {
  const packed = run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], dir)
  if (packed.status !== 0) {
    t.fail(`npm pack failed in ${relative(root, dir) || 'the root'}`, { output: packed.output })
    return undefined
  }
  return (JSON.parse(packed.stdout) as PackResult[])[0]
}

// A throwaway project with these dependencies, installed from npm's cache alone.
function install (t: tap.Test, project: string, dependencies: Record<string, string>, packed: Packed[]): boolean {
  mkdirSync(project, { recursive: true })
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-smoke', version: '1.0.0', private: true, dependencies }, null, 2))
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(lockfileFor(dependencies, packed), null, 2))
  const installed = run(npm, ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], project)
  if (installed.status !== 0) {
    t.fail('installing the tarballs from the npm cache failed (run `npm ci` in the repository first to fill the cache)', { output: installed.output })
    return false
  }
  return true
}

// Every package the built code of an installed package requires must be one of its
// dependencies or peer dependencies, and resolve where the install put it.
function runtimeProblems (pkg: Manifest, installedPackage: string): string[] {
  const runtime = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})])
  const optional = (name: string): boolean => pkg.peerDependenciesMeta?.[name]?.optional === true
  const problems: string[] = []
  for (const file of jsFiles(join(installedPackage, 'dist'))) {
    const shown = relative(installedPackage, file)
    for (const name of requiredPackages(readFileSync(file, 'utf8'))) {
      if (!runtime.has(name)) {
        const dev = pkg.devDependencies?.[name] !== undefined ? ' (only a devDependency: users do not get it)' : ''
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
  return problems
}

test('the plugin\'s npm tarball works from CommonJS, ES modules and TypeScript, and brings only its three dependencies', async (t) => {
  t.setTimeout(180_000)
  const tmp = mkdtempSync(join(tmpdir(), 'fastify-not-implemented-pack-'))
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }))

  const pack = packIn(t, root, tmp)
  if (pack === undefined) return
  const files = pack.files.map((file) => file.path).sort()

  t.test('the tarball holds what users need and nothing else', async (t) => {
    for (const file of ['package.json', 'README.md', 'types/index.d.ts', 'dist/index.js']) {
      t.ok(files.includes(file), `${file} is in the tarball`)
    }
    t.ok(files.some((file) => /^LICEN[CS]E(\.\w+)?$/i.test(file)), 'a LICENSE is in the tarball')
    for (const entry of entryPoints(manifest)) t.ok(files.includes(entry), `${entry}, named in package.json, is in the tarball`)
    t.same(unexpectedFiles(files, manifest), [], 'no tests, fixtures, scripts, config or command-line tool in the tarball')
  })

  const project = join(tmp, 'app')
  const tarball = relative(project, join(tmp, pack.filename))
  const plugin: Packed = { manifest, source: '', tarball, pack }
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
  if (!install(t, project, dependencies, [plugin])) return

  const installedPackage = join(project, 'node_modules', manifest.name)
  t.test('everything dist requires is a dependency or peer dependency, and resolves in a user\'s install', async (t) => {
    t.same(runtimeProblems(manifest, installedPackage), [], 'every runtime require is satisfied by the published dependencies')
  })

  t.test('the plugin depends on @fastify/error, @sinclair/typebox and fastify-plugin alone', async (t) => {
    const published = JSON.parse(readFileSync(join(installedPackage, 'package.json'), 'utf8')) as Manifest
    t.same(Object.keys(published.dependencies ?? {}).sort(), pluginDependencies, 'the tarball\'s dependencies')
    t.same(Object.keys(published.peerDependencies ?? {}), ['fastify', '@opentelemetry/api', 'ioredis'], 'and Fastify, which the app has, the OpenTelemetry API and ioredis')
    t.same(published.peerDependenciesMeta, { '@opentelemetry/api': { optional: true }, ioredis: { optional: true } }, 'which are optional: openTelemetryMetrics alone uses the first, given a meter; tierCache.redis the second, given a client')
    const loaded = jsFiles(join(installedPackage, 'dist')).flatMap((file) => requiredPackages(readFileSync(file, 'utf8')))
    t.notOk(loaded.includes('ioredis'), 'the plugin never loads ioredis itself: it uses the client it is given')
    t.notOk(existsSync(join(project, 'node_modules', 'ioredis')), 'and an install of the plugin does not bring it')
    t.notOk(published.bin, 'no command: that is fastify-not-implemented-cli')
    // What `npm i` of the tarball adds to an app that has Fastify: the plugin and what Fastify lacks.
    const withFastify = Object.keys(lockfileFor({ fastify: versionOf('fastify') }, []).packages)
    const withPlugin = Object.keys(lockfileFor({ fastify: versionOf('fastify'), [manifest.name]: `file:${tarball}` }, [plugin]).packages)
    const added = withPlugin.filter((location) => !withFastify.includes(location)).map((location) => location.replace(/^node_modules\//, ''))
    t.ok(added.length <= 3, `npm i fastify-not-implemented adds ${added.length} packages to a Fastify app: ${added.join(', ')}`)
    for (const name of ['@readme/openapi-parser', 'yaml', 'fastify-not-implemented-cli']) {
      t.notOk(existsSync(join(project, 'node_modules', name)), `${name} is not installed with the plugin`)
    }
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

// What the tool's README shows for `npx fastify-not-implemented <args>`: stdout and exit status.
function readmeExample (args: string): { stdout: string, status: number } {
  const readme = readFileSync(join(cliRoot, 'README.md'), 'utf8')
  const start = `\`\`\`\n$ npx fastify-not-implemented ${args}\n`
  const at = readme.indexOf(start)
  if (at === -1) throw new Error(`cli/README.md shows no run of "${args}"`)
  const body = readme.slice(at + start.length, readme.indexOf('```', at + start.length))
  const [stdout, status] = body.split('$ echo $?\n')
  return { stdout, status: status === undefined ? 0 : Number(status.trim()) }
}

test('the command-line tool\'s npm tarball installs beside the plugin\'s and runs from npx', async (t) => {
  t.setTimeout(180_000)
  const tmp = mkdtempSync(join(tmpdir(), 'fastify-not-implemented-cli-pack-'))
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }))

  const pluginPack = packIn(t, root, tmp)
  const cliPack = packIn(t, cliRoot, tmp)
  if (pluginPack === undefined || cliPack === undefined) return
  const files = cliPack.files.map((file) => file.path).sort()

  t.test('the tarball holds the command and nothing else', async (t) => {
    for (const file of ['package.json', 'README.md', 'LICENSE', 'bin/fastify-not-implemented.js', 'dist/main.js']) {
      t.ok(files.includes(file), `${file} is in the tarball`)
    }
    for (const entry of entryPoints(cliManifest)) t.ok(files.includes(entry), `${entry}, named in cli/package.json, is in the tarball`)
    t.same(unexpectedFiles(files, cliManifest), [], 'no tests, fixtures or config in the tarball')
  })

  const project = join(tmp, 'app')
  const tarball = (pack: PackResult): string => relative(project, join(tmp, pack.filename))
  const dependencies = {
    fastify: versionOf('fastify'),
    [manifest.name]: `file:${tarball(pluginPack)}`,
    [cliManifest.name]: `file:${tarball(cliPack)}`
  }
  // The app and the spec of the tool's README.
  cpSync(join(cliRoot, 'test', 'fixtures', 'readme'), project, { recursive: true })
  const packed: Packed[] = [
    { manifest, source: '', tarball: tarball(pluginPack), pack: pluginPack },
    { manifest: cliManifest, source: 'cli', tarball: tarball(cliPack), pack: cliPack }
  ]
  if (!install(t, project, dependencies, packed)) return

  t.test('everything the tool\'s dist requires is a dependency or peer dependency, and resolves', async (t) => {
    t.same(runtimeProblems(cliManifest, join(project, 'node_modules', cliManifest.name)), [], 'every runtime require is satisfied by the published dependencies')
  })

  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx'
  for (const args of ['audit app.js --openapi openapi.yaml', 'matrix app.js']) {
    t.test(`npx fastify-not-implemented ${args}`, async (t) => {
      const res = run(npx, ['--offline', 'fastify-not-implemented', ...args.split(' ')], project, 60_000)
      const shown = readmeExample(args)
      t.equal(res.status, shown.status, 'the exit status the README shows', { output: res.output })
      t.equal(res.stdout, shown.stdout, 'the output the README shows')
    })
  }

  t.test('npx fastify-not-implemented-cli, by the package name, runs the same command', async (t) => {
    const res = run(npx, ['--offline', 'fastify-not-implemented-cli', '--version'], project, 60_000)
    t.equal(res.status, 0, 'exit 0', { output: res.output })
    t.equal(res.stdout, `fastify-not-implemented ${cliManifest.version}\n`)
  })
})
