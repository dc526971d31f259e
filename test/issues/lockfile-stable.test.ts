import { test } from 'tap'
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'

// Issue 10, item 19: `npm install` in a fresh clone rewrote package-lock.json. `bin` had been
// added to package.json without updating the lockfile, whose root entry repeats it (as it
// repeats every field below, and so does the entry of each workspace: cli/); `npm ci` does not
// compare those, `npm install` rewrites them.
// Checked in two ways: the fields side by side, and npm itself run on a copy of the manifest
// and the lockfile (`--package-lock-only --offline`: no node_modules, no network), which must
// leave the lockfile byte for byte as it is.

const root = resolve(__dirname, '..', '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

// The fields of package.json that npm copies into the lockfile's root entry (and drops when empty).
const mirrored = [
  'name', 'version', 'license', 'bin', 'dependencies', 'devDependencies', 'peerDependencies',
  'peerDependenciesMeta', 'optionalDependencies', 'bundleDependencies', 'engines', 'funding',
  'os', 'cpu', 'workspaces'
]

function present (value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '') return false
  return typeof value !== 'object' || Object.keys(value).length > 0
}

test('the lockfile\'s root entry, and each workspace\'s, says what its package.json says', async (t) => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    name: string
    version: string
    lockfileVersion: number
    packages: Record<string, Record<string, unknown>>
  }
  t.equal(lock.lockfileVersion, 3, 'lockfile version 3 (npm 9 and later)')
  t.equal(lock.name, manifest.name)
  t.equal(lock.version, manifest.version)
  const workspaces = manifest.workspaces as string[]
  t.same(workspaces, ['cli'], 'the command-line tool is a workspace')
  for (const location of ['', ...workspaces]) {
    const own = JSON.parse(readFileSync(join(root, location, 'package.json'), 'utf8')) as Record<string, unknown>
    const entry = lock.packages[location]
    t.ok(entry, `the lockfile has an entry for ${location || 'the root'}`)
    for (const field of mirrored) {
      const expected = present(own[field]) ? own[field] : undefined
      t.same(entry?.[field], expected, `${join(location, 'package.json')} ${field}: the same in package-lock.json`)
    }
  }
})

test('npm install leaves the lockfile as it is', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fastify-not-implemented-lock-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const lockText = readFileSync(join(root, 'package-lock.json'), 'utf8')
  const lock = JSON.parse(lockText) as { packages: Record<string, unknown> }
  // The manifest, the lockfile, and the manifest of every workspace the lockfile links.
  const manifests = ['package.json', ...Object.keys(lock.packages)
    .filter((location) => location !== '' && !location.split('/').includes('node_modules'))
    .map((location) => join(location, 'package.json'))]
  t.ok(manifests.includes(join('cli', 'package.json')), 'the workspace manifests are copied with the root\'s')
  for (const file of [...manifests, 'package-lock.json']) {
    if (!existsSync(join(root, file))) continue
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    copyFileSync(join(root, file), join(dir, file))
  }

  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const installed = spawnSync(npm, ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir, env, encoding: 'utf8', timeout: 60_000
  })
  t.equal(installed.status, 0, 'npm resolves every dependency from the lockfile alone', { output: installed.stdout + installed.stderr })
  t.equal(readFileSync(join(dir, 'package-lock.json'), 'utf8'), lockText, 'npm install rewrote nothing in package-lock.json')
})
