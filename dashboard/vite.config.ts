// The dashboard's build: one bundle under dist/assets (content-hashed names), and a gzip and a
// brotli copy of every text file beside it, which the node sends to browsers that accept them
// (api/src/dashboard.rs). Nothing is loaded from elsewhere at run time.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'tidepool-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const file of walk(outDir)) {
        if (!/\.(html|js|css|svg|json|txt)$/.test(file)) continue;
        const raw = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(raw, { level: 9 }));
        writeFileSync(`${file}.br`, brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      }
    },
  };
}

export default defineConfig({
  plugins: [precompress()],
  build: { target: 'es2022', sourcemap: false, reportCompressedSize: true, chunkSizeWarningLimit: 400 },
  // `npm run dev` proxies the API to a node on 8545, so the dashboard can be worked on with hot reload.
  server: { proxy: Object.fromEntries(['/v1', '/dev', '/health', '/openapi.json'].map((p) => [p, 'http://127.0.0.1:8545'])) },
});
