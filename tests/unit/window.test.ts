import { describe, expect, it, vi } from 'vitest'

// Records what the shell asks of Electron, so the security settings are checked without a display.
const created: Array<{ options: Record<string, unknown>; handlers: Map<string, (...args: unknown[]) => void>; openHandler?: (d: { url: string }) => unknown }> = []
const opened: string[] = []
vi.mock('electron', () => {
  class BrowserWindow {
    webContents: Record<string, unknown>
    constructor(options: Record<string, unknown>) {
      const handlers = new Map<string, (...args: unknown[]) => void>()
      const record: (typeof created)[number] = { options, handlers }
      created.push(record)
      this.webContents = {
        on: (name: string, fn: (...args: unknown[]) => void) => handlers.set(name, fn),
        setWindowOpenHandler: (fn: (d: { url: string }) => unknown) => (record.openHandler = fn),
        getURL: () => 'file:///app/index.html',
      }
    }
    once() {}
    loadFile() { return Promise.resolve() }
    loadURL() { return Promise.resolve() }
  }
  return { BrowserWindow, shell: { openExternal: async (url: string) => void opened.push(url) }, session: {} }
})

const { createMainWindow } = await import('../../src/main/window')

describe('main window', () => {
  it('is isolated, sandboxed and without Node in the renderer', () => {
    createMainWindow()
    const prefs = created[0].options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true })
    expect(String(prefs.preload)).toMatch(/preload[/\\]index\.js$/)
  })

  it('denies navigation away and new windows', () => {
    const { handlers, openHandler } = created[0]
    const event = { preventDefault: vi.fn() }
    handlers.get('will-navigate')!(event, 'https://evil.example/')
    expect(event.preventDefault).toHaveBeenCalled()
    expect(openHandler!({ url: 'https://nih.gov/paper' })).toEqual({ action: 'deny' })
    expect(openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
    expect(opened).toEqual(['https://nih.gov/paper'])
  })
})
