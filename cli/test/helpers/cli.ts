import { resolve } from 'node:path'
import cliModule = require('../../dist/main.js')

// The command-line tool run in this process through `run` (fast), its streams captured.

interface Output { write: (chunk: string) => boolean, isTTY?: boolean }
interface Io { stdout: Output, stderr: Output, env: Record<string, string | undefined>, cwd: string }
export interface Result { code: number, stdout: string, stderr: string }

const { run } = cliModule as unknown as { run: (argv: string[], io: Io) => Promise<number> }
export const root = resolve(__dirname, '..', '..')

export async function runCli (argv: string[], { tty = false, env = {}, cwd = root }: { tty?: boolean, env?: Record<string, string>, cwd?: string } = {}): Promise<Result> {
  let stdout = ''
  let stderr = ''
  const code = await run(argv, {
    stdout: { write: (chunk) => { stdout += chunk; return true }, isTTY: tty },
    stderr: { write: (chunk) => { stderr += chunk; return true }, isTTY: tty },
    env,
    cwd
  })
  return { code, stdout, stderr }
}
