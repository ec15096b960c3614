// `anharm web [--port P]`: serve the web page (src/web/) on 127.0.0.1. Static files only — all the
// computing happens in the browser. Only the files the page needs are served: the page (src/web/),
// the compiled library (dist/), the kernel module (build/anharmonic.wasm) and moyo's browser files
// (node_modules/@spglib/moyo-wasm/, found wherever npm installed it) and onnxruntime-web's dist/
// (for .onnx potentials). The URLs mirror the package
// layout, so the page works unchanged from any static host of the built package folder.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { intOption, UserError } from './errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The package root (src/cli/ from source, dist/src/cli/ compiled). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'web', 'index.html'))) return dir;
    dir = dirname(dir);
  }
  throw new UserError('web: the page (src/web/index.html) is not in this installation');
}

/** URL prefix → folder on disk. */
function mounts(root: string): [string, string][] {
  const require = createRequire(join(root, 'package.json'));
  const moyo = dirname(require.resolve('@spglib/moyo-wasm/package.json'));
  return [
    ['/src/web/', join(root, 'src', 'web')],
    ['/dist/', join(root, 'dist')],
    ['/build/anharmonic.wasm', join(root, 'build', 'anharmonic.wasm')],
    ['/node_modules/@spglib/moyo-wasm/', moyo],
    // .onnx potentials: onnxruntime-web's browser build (its main entry is in dist/)
    ['/node_modules/onnxruntime-web/dist/', dirname(require.resolve('onnxruntime-web'))],
  ];
}

export interface WebServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Start the static server on 127.0.0.1:port (0: any free port). A taken port is a UserError. */
export async function startWebServer(port: number): Promise<WebServer> {
  const root = packageRoot();
  if (!existsSync(join(root, 'dist', 'src', 'web', 'app.js')) || !existsSync(join(root, 'build', 'anharmonic.wasm'))) {
    throw new UserError('web: the compiled page is missing (dist/src/web/app.js, build/anharmonic.wasm): run "npm run build" first');
  }
  const table = mounts(root);
  const server: Server = createServer((req, res) => {
    let path: string;
    try {
      path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replaceAll(sep, '/');
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    if (path === '/' || path === '/index.html') {
      res.writeHead(302, { location: '/src/web/index.html' }).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end('static files only');
      return;
    }
    for (const [prefix, dir] of table) {
      if (!path.startsWith(prefix) && path !== prefix) continue;
      const file = prefix.endsWith('/') ? resolve(dir, '.' + path.slice(prefix.length - 1)) : dir;
      if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) break;
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((ok, bad) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') bad(new UserError(`web: port ${port} on 127.0.0.1 is already in use; choose another with --port`));
      else if (e.code === 'EACCES') bad(new UserError(`web: not allowed to listen on port ${port}; choose a port above 1023 with --port`));
      else bad(e);
    });
    server.listen(port, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    port: actual,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export function registerWeb(program: Command): void {
  program
    .command('web')
    .description('serve the web page (phonons and SSCHA computed in your browser, in Web Workers) on 127.0.0.1; static files only')
    .option('--port <n>', 'port on 127.0.0.1', '8417')
    .action(async (opts: { port: string }) => {
      const port = intOption('--port', opts.port, 0, 65535);
      const s = await startWebServer(port);
      process.stdout.write(`anharm web: serving the page at ${s.url} (static files; the computing runs in the browser). Ctrl-C to stop.\n`);
      await new Promise<void>((ok) => {
        const stop = () => void s.close().then(ok);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
