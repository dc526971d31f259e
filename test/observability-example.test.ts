import { test } from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

// The Prometheus example of docs/observability.md is example/metrics.js: it runs against
// the built package, through the real OpenTelemetry SDK and Prometheus exporter, and
// prints what the page says it prints.
const root = join(__dirname, '..')

test('the Prometheus example prints what the docs show', async (t) => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(root, 'example', 'metrics.js')], { cwd: root, timeout: 30_000 })
  t.equal(stderr, '')
  const page = readFileSync(join(root, 'docs', 'observability.md'), 'utf8')
  const shown = /It prints:\n\n```text\n([\s\S]*?)```/.exec(page)?.[1]
  t.equal(stdout, shown)
  t.match(stdout, /^fastify_not_implemented_answers_total\{code="FST_TIER_REQUIRED",.*http_route="\/reports\/:id".*\} 2$/m)
  const example = readFileSync(join(root, 'example', 'metrics.js'), 'utf8')
  t.ok(page.includes(example), 'the page shows the example as it is')
})
