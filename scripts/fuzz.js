#!/usr/bin/env node
'use strict'

// The long fuzz run: the property tests of test/reliability/fuzz.test.ts over many more route
// tables than the regular suite, in shards of at most FUZZ_SHARD tables, each in its own
// process with its own seed (FUZZ_SEED, FUZZ_SEED + 1, ...), so that memory held by
// `inject` between requests stays bounded. Prints every shard's figures and the totals;
// exits non-zero on the first failing shard, whose seed reproduces it:
//
//   FUZZ_SEED=<seed> FUZZ_RUNS=<tables> npx tap test/reliability/fuzz.test.ts --disable-coverage
//
//   npm run build && node scripts/fuzz.js            (4,000 tables: 100,000 requests)
//   FUZZ_RUNS=20000 node scripts/fuzz.js

const { spawnSync } = require('node:child_process')
const path = require('node:path')

const total = Number(process.env.FUZZ_RUNS ?? 4000)
const shardSize = Number(process.env.FUZZ_SHARD ?? 800)
const baseSeed = Number(process.env.FUZZ_SEED ?? 20260522)
const root = path.join(__dirname, '..')
const tap = path.join(root, 'node_modules', '.bin', 'tap')

const totals = { tables: 0, cases: 0, probes: 0, rawCases: 0, unknown: 0, garbage: 0 }
const started = Date.now()
for (let shard = 0, done = 0; done < total; shard++) {
  const runs = Math.min(shardSize, total - done)
  const seed = baseSeed + shard
  const result = spawnSync(tap, ['test/reliability/fuzz.test.ts', '--disable-coverage', '--timeout=3600', '-R', 'tap'], {
    cwd: root,
    env: { ...process.env, FUZZ_SEED: String(seed), FUZZ_RUNS: String(runs) },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024
  })
  const output = `${result.stdout}${result.stderr}`
  const inject = /inject fuzz: seed \d+, (\d+) route tables, (\d+) requests checked, \d+ paths swept \((\d+) more requests\)/.exec(output)
  const sockets = /socket fuzz: seed \d+, \d+ route tables, (\d+) requests checked, \d+ paths swept \((\d+) more requests\), (\d+) unknown-method and (\d+) garbage-method/.exec(output)
  if (result.status !== 0 || inject === null || sockets === null) {
    process.stdout.write(output)
    console.error(`fuzz: shard ${shard} (FUZZ_SEED=${seed} FUZZ_RUNS=${runs}) FAILED`)
    process.exit(1)
  }
  totals.tables += Number(inject[1])
  totals.cases += Number(inject[2])
  totals.probes += Number(inject[3]) + Number(sockets[2])
  totals.rawCases += Number(sockets[1])
  totals.unknown += Number(sockets[3])
  totals.garbage += Number(sockets[4])
  for (const line of output.split('\n')) if (/# (inject|socket) fuzz:/.test(line)) console.log(line.trim().replace(/^# /, ''))
  done += runs
}
console.log(`fuzz: ok, ${totals.tables} route tables, ${totals.cases} inject requests and ${totals.rawCases} socket requests checked ` +
  `(${totals.probes} more to sweep paths), ${totals.unknown} unknown-method and ${totals.garbage} garbage-method requests, ` +
  `${Math.round((Date.now() - started) / 1000)} s, seeds ${baseSeed}..${baseSeed + Math.ceil(total / shardSize) - 1}`)
