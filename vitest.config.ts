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
    // Vitest's default is one worker fewer than the cores: ONE on a 2-core machine, where most test
    // files wait on the processes they spawn (the CLI, browser mode, Orthanc, Chromium). Two keep both cores busy.
    maxWorkers: 2,
  },
})
