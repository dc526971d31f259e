import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { connect } from 'node:net'
import { delimiter, join } from 'node:path'
import { freePort } from './nginx'

// A real redis-server for the fleet tests, started by the test itself on a free loopback
// port, with nothing saved to disk. There is no skip: without redis-server the tests fail
// and say how to install it (CI installs Debian's package).

export function findRedisServer (): string {
  const path = (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'redis-server'))
  for (const candidate of ['/usr/bin/redis-server', ...path]) {
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {}
  }
  throw new Error('redis-server was not found in /usr/bin or on PATH; the fleet tests need a real one (Debian: apt-get install redis-server)')
}

export interface RedisServer {
  port: number
  // Ends the server (SIGKILL: as a crash would), and starts it again on the same port.
  kill: () => Promise<void>
  start: () => Promise<void>
}

async function accepting (port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on 127.0.0.1:${port}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export async function startRedis (teardown: (fn: () => unknown) => void): Promise<RedisServer> {
  const binary = findRedisServer()
  const port = await freePort()
  let child: ChildProcess | undefined
  const server: RedisServer = {
    port,
    async start () {
      child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' })
      await accepting(port, Date.now() + 5000)
    },
    async kill () {
      const running = child
      child = undefined
      if (running === undefined || running.exitCode !== null) return
      await new Promise((resolve) => { running.once('exit', resolve); running.kill('SIGKILL') })
    }
  }
  teardown(() => server.kill())
  await server.start()
  return server
}
