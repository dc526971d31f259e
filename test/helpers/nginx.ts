import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { test } from 'tap'

// nginx as a caching reverse proxy in front of a test app, started by the test itself with
// its own configuration, prefix, pid file, logs and cache in a temporary directory, on a
// free loopback port, as a single foreground process (`daemon off; master_process off;`).

// NGINX_BIN when set (and then only it), else where Debian's package puts it, then the PATH.
export function findNginx (): string | undefined {
  const path = (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'nginx'))
  const candidates = process.env.NGINX_BIN !== undefined ? [process.env.NGINX_BIN] : ['/usr/sbin/nginx', ...path]
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {}
  }
  return undefined
}

// A machine without nginx may skip these tests, and says why: the one skip in the suite,
// because a developer's machine may lack a system package that npm cannot install. CI sets
// REQUIRE_NGINX=1 (and installs nginx), so there a missing binary fails the run. Without
// nginx this adds that skip (named `skipped`) or that failure to the file's tests.
export function nginxOrReport (skipped: string): string | undefined {
  const binary = findNginx()
  if (binary !== undefined) return binary
  const where = process.env.NGINX_BIN !== undefined ? `NGINX_BIN (${process.env.NGINX_BIN})` : '/usr/sbin/nginx or on PATH'
  const reason = `nginx was not found at ${where} (Debian: apt-get install nginx-light)`
  if (process.env.REQUIRE_NGINX === '1') test('nginx is required here', async (t) => { t.fail(`${reason}; REQUIRE_NGINX=1 makes this a failure`) })
  else test(skipped, { skip: `${reason}; skipped because REQUIRE_NGINX is not 1` }, async () => {})
  return undefined
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0) })
    })
  })
}

export interface CacheConfig {
  // Extra directives inside `location /`, e.g. a `proxy_cache_key` or `proxy_cache_valid`.
  extra?: string
}

export function nginxConfig (dir: string, port: number, upstreamPort: number, config: CacheConfig = {}): string {
  return `
error_log ${join(dir, 'error.log')} warn;
pid ${join(dir, 'nginx.pid')};
worker_rlimit_nofile 4096;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  proxy_cache_path ${join(dir, 'cache')} levels=1:2 keys_zone=test:4m inactive=10m use_temp_path=off;
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache test;
      proxy_cache_lock off;
      add_header X-Cache-Status $upstream_cache_status always;
      ${config.extra ?? ''}
    }
  }
}
`
}

export interface Nginx {
  origin: string
  port: number
  dir: string
  errorLog: () => string
  stop: () => Promise<void>
}

async function waitForPort (port: number, child: ChildProcess, deadline: number): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with code ${child.exitCode}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port} within the deadline`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

export async function startNginx (binary: string, upstreamPort: number, config: CacheConfig = {}): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'fni-nginx-'))
  const port = await freePort()
  const file = join(dir, 'nginx.conf')
  writeFileSync(file, nginxConfig(dir, port, upstreamPort, config))
  const child = spawn(binary, ['-p', dir, '-e', join(dir, 'error.log'), '-c', file, '-g', 'daemon off; master_process off;'], {
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  // Should the test process die first, nginx goes with it.
  const killOnExit = (): void => { child.kill('SIGKILL') }
  process.once('exit', killOnExit)
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    process.removeListener('exit', killOnExit)
    resolve()
  }))
  const errorLog = (): string => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8') + stderr
    } catch {
      return stderr
    }
  }
  try {
    await waitForPort(port, child, Date.now() + 5000)
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`${(error as Error).message}\n${errorLog()}`)
  }
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    dir,
    errorLog,
    async stop () {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
        await exited
        clearTimeout(timer)
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
