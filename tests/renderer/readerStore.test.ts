import { beforeEach, describe, expect, it } from 'vitest'
import { ApiError } from '../../src/shared/api'
import type { Reader } from '../../src/shared/domain'
import { createReaderStore } from '../../src/renderer/src/stores/readerStore'
import { createFakeServer } from './fakeServer'

/** localStorage as a browser profile has it, so the test sees exactly what is remembered. */
const saved = new Map<string, string>()
const storage = {
  getItem: (key: string) => saved.get(key) ?? null,
  setItem: (key: string, value: string) => void saved.set(key, String(value)),
  removeItem: (key: string) => void saved.delete(key),
}
Object.defineProperty(globalThis, 'localStorage', { value: storage, configurable: true })

const reader = (id: number, name: string, extra: Partial<Reader> = {}): Reader => ({
  id,
  name,
  role: 'radiologist',
  administrator: false,
  hasSecret: true,
  createdAt: 'x',
  ...extra,
})
const ann = reader(1, 'Dr Ann')
const boss = reader(2, 'Dr Boss', { administrator: true })
const old = reader(3, 'Dr Old', { hasSecret: false })

function server() {
  const secrets: Record<number, string> = { 1: 'ann-secret', 2: 'boss-secret' }
  return createFakeServer({
    'readers:list': () => [ann, boss, old],
    'readers:login': ({ readerId, secret }: { readerId: number; secret: string }) => {
      if (secrets[readerId] !== secret) throw new ApiError({ code: 'forbidden', message: 'Login refused: unknown reader or wrong secret' })
      return [ann, boss].find((r) => r.id === readerId)!
    },
    'readers:logout': () => ({ loggedOut: true }),
    'readers:create': ({ name, role }: { name: string; role: Reader['role'] }) => reader(9, name, { role }),
  })
}

beforeEach(() => saved.clear())

describe('reader store', () => {
  it('opens the picker on start with the last reader preselected, logs in with the secret, and remembers only the name', async () => {
    saved.set('cxr-lens.readerName', 'Dr Ann')
    saved.set('cxr-lens.readerId', '1') // what older versions kept: dropped
    const fake = server()
    const store = createReaderStore(fake.api)
    await store.load()
    expect(store.getState()).toMatchObject({ pickerOpen: true, current: null, selected: { id: 1 } })
    expect(await store.login('ann-secret')).toMatchObject({ id: 1 })
    expect(store.getState()).toMatchObject({ pickerOpen: false, current: { id: 1 }, error: null })
    expect(fake.calls.find((c) => c.channel === 'readers:login')?.request).toEqual({ readerId: 1, secret: 'ann-secret' })
    expect([...saved.entries()]).toEqual([['cxr-lens.readerName', 'Dr Ann']])
    expect(JSON.stringify([...saved.values()])).not.toContain('secret')
  })

  it('shows a refused login and stays logged out', async () => {
    const store = createReaderStore(server().api)
    await store.load()
    expect(store.getState().selected).toBeNull()
    store.select(ann)
    expect(await store.login('wrong')).toBeNull()
    expect(store.getState()).toMatchObject({ current: null, pickerOpen: true, error: 'Login refused: unknown reader or wrong secret' })
    expect(store.requireReader('Choose a reader to draw boxes')).toBeNull()
    expect(saved.size).toBe(0)
  })

  it('self-enrolment logs in as the new reader; an administrator creating one stays themself; logout clears the reader', async () => {
    const store = createReaderStore(server().api)
    await store.load()
    expect(await store.create('Dr New', 'radiologist', 'new-secret')).toMatchObject({ id: 9 })
    expect(store.getState().current).toMatchObject({ id: 9, name: 'Dr New' })
    await store.logout()
    expect(store.getState()).toMatchObject({ current: null, pickerOpen: true })
    store.select(boss)
    await store.login('boss-secret')
    await store.create('Dr Advisor', 'clinical_advisor', 'advisor-secret')
    expect(store.getState().current).toMatchObject({ id: 2 })
    expect(saved.get('cxr-lens.readerName')).toBe('Dr Boss')
  })
})
