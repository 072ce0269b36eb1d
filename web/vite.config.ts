/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { gzipSync, constants as zlibConstants } from 'node:zlib'
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'

const compressible = /\.(js|mjs|css|html|svg|json|txt)$/

/** Writes `<file>.gz` beside every compressible asset of the build, for pre-compressed serving. */
function gzipAssets(): Plugin {
  let outDir = 'dist'
  return {
    name: 'lvyuan-gzip-assets',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir)
    },
    async closeBundle() {
      const walk = async (dir: string): Promise<string[]> => {
        const entries = await fs.readdir(dir, { withFileTypes: true })
        const files = await Promise.all(
          entries.map((e) => {
            const p = path.join(dir, e.name)
            return e.isDirectory() ? walk(p) : Promise.resolve([p])
          }),
        )
        return files.flat()
      }
      const files = (await walk(outDir)).filter((f) => compressible.test(f))
      await Promise.all(
        files.map(async (f) => {
          const data = await fs.readFile(f)
          const gz = gzipSync(data, { level: zlibConstants.Z_BEST_COMPRESSION })
          await fs.writeFile(`${f}.gz`, gz)
        }),
      )
    },
  }
}

export default defineConfig({
  plugins: [vue(), gzipAssets()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks(id: string) {
          if (id.includes('node_modules/element-plus') || id.includes('node_modules/@element-plus')) {
            return 'element-plus'
          }
          // SM2/Ed25519 verification, loaded only when a record proof is checked
          if (/node_modules\/(sm-crypto|jsbn|@noble)\//.test(id)) return 'record-crypto'
          if (id.includes('node_modules')) return 'vendor'
          return undefined
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.spec.ts'],
    restoreMocks: true,
    testTimeout: 20_000,
    // Let Vite resolve element-plus's imports (async-validator's ESM build) as in the app bundle;
    // Node's own resolution picks a CJS build whose default export is not the validator class.
    server: { deps: { inline: ['element-plus'] } },
  },
})
