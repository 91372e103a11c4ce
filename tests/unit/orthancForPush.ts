/**
 * A real Orthanc for the push tests: Debian's /usr/sbin/Orthanc with the DICOMweb plugin, HTTP on a
 * free 127.0.0.1 port (RemoteAccessAllowed false: loopback only), authentication on with one user,
 * no DICOM listener, storage in a temp folder. `stop` kills its process group. To be folded into
 * tests/unit/orthanc.ts (branch h/pacs-pull) at the merge.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ORTHANC = '/usr/sbin/Orthanc'
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so'
export const HAS_ORTHANC = existsSync(ORTHANC) && existsSync(DICOMWEB_PLUGIN)

export interface OrthancForPush {
  url: string
  dicomWebUrl: string
  user: string
  password: string
  /** GET/POST on the REST API with the user's credentials; throws on an HTTP error */
  rest(path: string, init?: RequestInit): Promise<Response>
  /** stores one Part 10 file (POST /instances); returns Orthanc's instance id */
  upload(bytes: Uint8Array): Promise<string>
  stop(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

export async function startOrthancForPush(): Promise<OrthancForPush> {
  const dir = mkdtempSync(join(tmpdir(), 'cxr-orthanc-'))
  const storage = join(dir, 'storage')
  mkdirSync(storage)
  const port = await freePort()
  const user = 'cxrlens'
  const password = 'push-test-secret'
  const config = join(dir, 'orthanc.json')
  writeFileSync(
    config,
    JSON.stringify({
      Name: 'cxr-lens-push-test',
      StorageDirectory: storage,
      IndexDirectory: storage,
      HttpPort: port,
      DicomServerEnabled: false,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: true,
      RegisteredUsers: { [user]: password },
      Plugins: [DICOMWEB_PLUGIN],
      DicomWeb: { Enable: true, Root: '/dicom-web/' },
    }),
  )
  const child: ChildProcess = spawn(ORTHANC, [config], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr?.on('data', (d) => (log = (log + d).slice(-4000)))
  const url = `http://127.0.0.1:${port}`
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  const rest = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${url}${path}`, { ...init, headers: { authorization, ...(init.headers as Record<string, string>) } })
    if (!response.ok) throw new Error(`Orthanc ${init.method ?? 'GET'} ${path}: HTTP ${response.status} ${await response.text()}`)
    return response
  }
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))])
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
    }
    rmSync(dir, { recursive: true, force: true })
  }
  for (const deadline = Date.now() + 30_000; ;) {
    if (child.exitCode !== null) throw new Error(`Orthanc exited (${child.exitCode}): ${log}`)
    try {
      await rest('/system')
      break
    } catch (error) {
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`Orthanc did not answer on ${url} within 30 s: ${(error as Error).message}\n${log}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  return {
    url,
    dicomWebUrl: `${url}/dicom-web`,
    user,
    password,
    rest,
    upload: async (bytes) => {
      const response = await rest('/instances', { method: 'POST', body: bytes, headers: { 'content-type': 'application/dicom' } })
      return ((await response.json()) as { ID: string }).ID
    },
    stop,
  }
}
