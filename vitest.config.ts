import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // tests/renderer: the renderer's pure modules, type-checked with the renderer (DOM, no Node types).
    include: ['tests/unit/**/*.test.ts', 'tests/renderer/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['tests/unit/globalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // better-sqlite3 and sharp are native modules: forks isolate them more safely than threads.
    pool: 'forks',
  },
})
