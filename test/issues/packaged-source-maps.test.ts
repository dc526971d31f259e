import { test } from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, posix, resolve } from 'node:path'

// Issue 10, item 19: every dist/*.js of 0.1.0 ended with a `sourceMappingURL` to a map the
// package did not ship. The package now ships the maps and the sources they point to (the same
// build the tests run against, whose maps also give the coverage report its lib/*.ts lines), so
// a stack trace under `node --enable-source-maps`, or a debugger, lands on the TypeScript line.
// What is checked is the list `npm pack` would put in the tarball, read from the files on disk.

const root = resolve(__dirname, '..', '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

interface SourceMap {
  version: number
  file?: string
  sourceRoot?: string
  sources: string[]
  mappings: string
}

function packedFiles (): string[] {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const packed = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, env, encoding: 'utf8', timeout: 60_000 })
  if (packed.status !== 0) throw new Error(`npm pack --dry-run failed: ${packed.stderr}`)
  const [pack] = JSON.parse(packed.stdout) as Array<{ files: Array<{ path: string }> }>
  return pack.files.map((file) => file.path).sort()
}

// The last `//# sourceMappingURL=` comment of a file, as Node and the debuggers read it.
function sourceMappingUrl (source: string): string | undefined {
  const matches = [...source.matchAll(/^\/\/[#@] sourceMappingURL=(\S+)\s*$/gm)]
  return matches.length === 0 ? undefined : matches[matches.length - 1][1]
}

test('every source map a packed file names is packed, with the sources it maps to', async (t) => {
  const files = packedFiles()
  const packed = new Set(files)
  const scripts = files.filter((file) => /^dist\/.+\.js$/.test(file))
  t.ok(scripts.includes('dist/index.js'), 'the tarball has the built code')

  const mapped = new Set<string>()
  for (const script of scripts) {
    const url = sourceMappingUrl(readFileSync(join(root, script), 'utf8'))
    if (url === undefined) {
      t.fail(`${script} names no source map`)
      continue
    }
    t.notOk(/^[a-z][\w+.-]*:/i.test(url), `${script} names its map by a path in the package (${url})`)
    const map = posix.join(posix.dirname(script), url)
    if (!packed.has(map)) {
      t.fail(`${script} names ${map}, which the tarball does not have`)
      continue
    }
    const parsed = JSON.parse(readFileSync(join(root, map), 'utf8')) as SourceMap
    t.equal(parsed.version, 3, `${map} is a version 3 source map`)
    t.equal(parsed.file, posix.basename(script), `${map} is the map of ${script}`)
    t.ok(parsed.sources.length > 0, `${map} names its sources`)
    for (const source of parsed.sources) {
      const file = posix.join(posix.dirname(map), parsed.sourceRoot ?? '', source)
      mapped.add(file)
      t.ok(packed.has(file), `${map} maps to ${file}, which is in the tarball`)
    }
  }

  const maps = files.filter((file) => file.endsWith('.map'))
  t.same(maps.filter((map) => !packed.has(map.slice(0, -'.map'.length))), [], 'no map without its script')
  const sources = files.filter((file) => /^lib\/.+\.ts$/.test(file))
  t.same(sources.filter((source) => !mapped.has(source)), [], 'no source that no map points to')
})

test('the packed build is the one the tests cover: the maps point into lib/', async (t) => {
  const map = JSON.parse(readFileSync(join(root, 'dist', 'index.js.map'), 'utf8')) as SourceMap
  t.same(map.sources.map((source) => posix.join('dist', source)), ['lib/index.ts'])
  t.equal(resolve(dirname(join(root, 'dist', 'index.js')), map.sources[0]), join(root, 'lib', 'index.ts'))
})
