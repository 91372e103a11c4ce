import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

/** Real processes for the multi-process tests: the built CLI, and a box-saving server run from source through tsx. */
export const ROOT = resolve(__dirname, '../..')
export { CLI } from './builtCli'
import { CLI } from './builtCli'
export const SAVER = resolve(ROOT, 'tests/unit/boxSaver.ts')

export interface Finished {
  code: number | null
  stdout: string
  stderr: string
}

export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((done, fail) => {
    child.once('error', fail)
    child.once('close', (code) => done({ code, stdout, stderr }))
  })
}

export function spawnCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, CXR_LENS_PROVIDER: 'cpu' } })
}

export const runCli = (args: string[]) => finished(spawnCli(args))

export type SaverLine = {
  ready?: number
  saved?: number
  caseId?: number
  refused?: string
  restored?: unknown
  restoreRefused?: string
  done?: number
  fatal?: string
}

/** The box saver (tests/unit/boxSaver.ts) in its own process, its answers collected line by line. */
export class Saver {
  readonly child: ChildProcess
  readonly lines: SaverLine[] = []
  private stderr = ''
  private readonly exited: Promise<number | null>
  private waiters: Array<() => void> = []

  constructor(dataDir: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', SAVER, dataDir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    let buffer = ''
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk
      let end: number
      while ((end = buffer.indexOf('\n')) >= 0) {
        this.lines.push(JSON.parse(buffer.slice(0, end)) as SaverLine)
        buffer = buffer.slice(end + 1)
      }
      for (const wake of this.waiters.splice(0)) wake()
    })
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk))
    this.exited = new Promise((done) =>
      this.child.once('exit', (code) => {
        for (const wake of this.waiters.splice(0)) wake()
        done(code)
      }),
    )
  }

  get pid(): number {
    return this.child.pid!
  }

  saved(): number[] {
    return this.lines.flatMap((line) => (line.saved === undefined ? [] : [line.saved]))
  }

  refused(): string[] {
    return this.lines.flatMap((line) => (line.refused === undefined ? [] : [line.refused]))
  }

  /** Waits until `test` holds over the lines so far; fails when the saver dies or `ms` pass. */
  async until(test: (lines: SaverLine[]) => boolean, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms
    while (!test(this.lines)) {
      if (this.child.exitCode !== null)
        throw new Error(`the saver exited (${this.child.exitCode}): ${this.stderr.slice(-2000)} ${JSON.stringify(this.lines.slice(-3))}`)
      if (Date.now() > deadline)
        throw new Error(`the saver did not get there in ${ms} ms: ${JSON.stringify(this.lines.slice(-3))} ${this.stderr.slice(-2000)}`)
      await new Promise<void>((wake) => {
        this.waiters.push(wake)
        setTimeout(wake, 200)
      })
    }
  }

  send(command: string): void {
    this.child.stdin!.write(`${command}\n`)
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.send('stop')
    const code = await this.exited
    if (code !== 0) throw new Error(`the saver exited ${code}: ${this.stderr.slice(-2000)}`)
    return code
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL')
  }
}
