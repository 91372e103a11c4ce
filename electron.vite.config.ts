import { resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'electron-vite'

// Main-side entries: the Electron shell, the headless CLI, browser mode, the job worker and the
// benchmarks all bundle the same core. Chunks stay beside the entries so a module's __dirname
// finds jobWorker.js whichever entry loaded it.
export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          cli: resolve('src/main/cli/cliMain.ts'),
          web: resolve('src/main/web/webMain.ts'),
          jobWorker: resolve('src/main/jobs/jobWorker.ts'),
          backgroundWorker: resolve('src/main/jobs/backgroundWorker.ts'),
          backgroundDecoder: resolve('src/main/jobs/backgroundDecoder.ts'),
          backgroundDecoderLoop: resolve('src/main/jobs/backgroundDecoderLoop.ts'),
          benchBackground: resolve('scripts/benchBackground.ts'),
          benchMemory: resolve('scripts/benchMemory.ts'),
          benchWorklist: resolve('scripts/benchWorklist.ts'),
          benchImport: resolve('scripts/benchImport.ts'),
          benchEngine: resolve('scripts/benchEngine.ts'),
          benchTrain: resolve('scripts/benchTrain.ts'),
          sanityRandomization: resolve('scripts/sanityRandomization.ts'),
        },
        output: { chunkFileNames: 'chunk-[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      // Sandboxed preloads must be CommonJS and may only require 'electron'.
      rolldownOptions: { input: { index: resolve('src/preload/index.ts') }, output: { format: 'cjs' } },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    build: { rolldownOptions: { input: { index: resolve('src/renderer/index.html') } } },
    plugins: [react()],
  },
})
