// A real Orthanc (Debian's `orthanc` + `orthanc-dicomweb`) for the PACS tests: one config writer and
// one launcher shared by the unit tests (tests/unit/orthanc.ts) and the end-to-end spec. Loopback
// only, authentication on, storage in a temp folder; stop() kills the process group, so no Orthanc
// outlives its test file.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ORTHANC_BINARY = process.env.ORTHANC_BINARY ?? '/usr/sbin/Orthanc'
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so'

/** A free loopback TCP port (asked of the kernel, then released for Orthanc to take). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
      server.close(() => resolve(port))
    })
  })
}

/**
 * The Orthanc configuration of a test PACS.
 * @param {{ dir: string, httpPort: number, user: string, password: string }} options
 */
export function orthancConfig({ dir, httpPort, user, password }) {
  return {
    Name: 'CXR Lens test PACS',
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    HttpPort: httpPort,
    // Loopback only: Orthanc refuses every request that does not come from 127.0.0.1.
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [user]: password },
    DicomServerEnabled: false,
    HttpServerEnabled: true,
    SaveJobs: false,
    StorageCompression: false,
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false, Ssl: false, StudiesMetadata: 'Full', SeriesMetadata: 'Full' },
  }
}

/** @param {string} user @param {string} password */
const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

/** Orthanc's words when its HTTP port is taken (main.cpp: "…privileged or already in use (port = N)"). */
const PORT_TAKEN = /port of the HTTP server is privileged or already in use/

/** Times a start is tried with another port when the one picked was taken meanwhile. */
const PORT_TRIES = 3

/**
 * Starts Orthanc and resolves once `/system` answers. freePort() releases its port before Orthanc
 * binds it, and any process may take it in between (another test file's server or Orthanc, running
 * in parallel): Orthanc then exits saying so, and the start is tried again with a new port.
 * `pickPort` is for the test of that retry.
 * @param {{ user?: string, password?: string, pickPort?: () => Promise<number> }} [options]
 * @returns {Promise<{ url: string, dicomWebUrl: string, user: string, password: string, dir: string,
 *   stop: () => Promise<void>, upload: (bytes: Uint8Array) => Promise<{ ID: string, Status: string }>,
 *   rest: (path: string, init?: RequestInit) => Promise<Response>, portTries: number }>}
 */
export async function startOrthanc({ user = 'cxr', password = 'orthanc-test-Secret-7', pickPort = freePort } = {}) {
  for (let tries = 1; ; tries++) {
    const started = await startOnce(user, password, await pickPort())
    if (started.portTaken && tries < PORT_TRIES) continue
    if (started.portTaken) throw new Error(`Orthanc found its HTTP port taken ${tries} times:\n${started.log}`)
    return { ...started.running, portTries: tries }
  }
}

/**
 * One start on `httpPort`: the running Orthanc, or `portTaken` (it exited because the port was in use).
 * @param {string} user @param {string} password @param {number} httpPort
 */
async function startOnce(user, password, httpPort) {
  const dir = mkdtempSync(join(tmpdir(), 'cxr-orthanc-'))
  mkdirSync(join(dir, 'storage'))
  mkdirSync(join(dir, 'index'))
  const configFile = join(dir, 'orthanc.json')
  writeFileSync(configFile, JSON.stringify(orthancConfig({ dir, httpPort, user, password }), null, 2))
  // detached: its own process group, so stop() reaches any child it might start.
  const child = spawn(ORTHANC_BINARY, [configFile], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  const keep = (chunk) => (log = (log + chunk).slice(-8000))
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  let gone = false
  void exited.then(() => (gone = true))
  const url = `http://127.0.0.1:${httpPort}`
  const auth = basic(user, password)
  const rest = (path, init = {}) => fetch(`${url}${path}`, { ...init, headers: { Authorization: auth, ...init.headers } })

  const stop = async () => {
    if (!gone) {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }, 5000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }

  const deadline = Date.now() + 30_000
  for (;;) {
    if (gone) {
      await stop()
      // Its output may still be arriving when the exit is seen: wait for the pipes to close.
      await new Promise((resolve) => (child.stdout.closed && child.stderr.closed ? resolve() : child.once('close', resolve)))
      if (PORT_TAKEN.test(log)) return { portTaken: true, log }
      throw new Error(`Orthanc exited before answering (${ORTHANC_BINARY} ${configFile}):\n${log}`)
    }
    // Bounded by a race, not by an abort signal (fetch can lose one: src/main/pacs/dicomwebTransport.ts):
    // whatever else holds the port may accept and never answer, and Orthanc's exit ends the wait too.
    const controller = new AbortController()
    let timer
    const giveUp = new Promise((resolve) => {
      timer = setTimeout(resolve, 2000)
      void exited.then(resolve)
    }).then(() => null)
    const asked = rest('/system', { signal: controller.signal }).catch(() => null) // null: not listening yet
    const response = await Promise.race([asked, giveUp])
    clearTimeout(timer)
    if (response?.ok) break
    if (response) await response.body?.cancel()
    else {
      controller.abort()
      void asked.then((late) => late?.body?.cancel().catch(() => undefined))
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`Orthanc did not answer /system within 30 s:\n${log}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  const upload = async (bytes) => {
    const response = await rest('/instances', { method: 'POST', body: bytes, headers: { 'Content-Type': 'application/dicom' } })
    const text = await response.text()
    if (!response.ok) throw new Error(`Orthanc refused the upload (${response.status}): ${text}`)
    return JSON.parse(text)
  }

  return { portTaken: false, log, running: { url, dicomWebUrl: `${url}/dicom-web`, user, password, dir, stop, upload, rest } }
}
