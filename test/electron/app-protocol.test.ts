import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalArtifactStore } from '#core/artifacts/artifact-store.ts';
import { UI_CSP } from '#core/server/ui-routes.ts';
import { createAppProtocolHandler } from '../../electron/main/app-protocol.ts';
import { HOSTILE_URL_PATHS } from '../artifacts/hostile-paths.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** A built window in a temp folder, a canary beside it, links leading out, and an artifact store. */
function fixture() {
  const root = tempDir();
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Flowdesk</title>');
  writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(dist, 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dist, 'assets', 'font.woff2'), 'wOF2');
  const canary = join(root, 'canary');
  mkdirSync(canary);
  writeFileSync(join(canary, 'secret.txt'), 'canary secret');
  symlinkSync(join(canary, 'secret.txt'), join(dist, 'leak.txt'));
  symlinkSync(canary, join(dist, 'leakdir'));
  // A link that stays inside the build is harmless.
  symlinkSync(join(dist, 'assets', 'index-abc.css'), join(dist, 'alias.css'));
  const store = createLocalArtifactStore(join(root, 'artifacts'));
  const handler = createAppProtocolHandler({ distDir: dist, artifacts: store });
  const get = (path: string, headers: Record<string, string> = {}) => handler(new Request(`app://flowdesk${path}`, { headers }));
  return { root, dist, canary, store, handler, get };
}

describe('the app:// protocol', () => {
  it('serves the window with its MIME types and the strict CSP', async () => {
    const { get } = fixture();
    const cases: [string, string][] = [
      ['/', 'text/html; charset=utf-8'],
      ['/index.html', 'text/html; charset=utf-8'],
      ['/assets/index-abc.js', 'text/javascript; charset=utf-8'],
      ['/assets/index-abc.css', 'text/css; charset=utf-8'],
      ['/favicon.svg', 'image/svg+xml'],
      ['/assets/font.woff2', 'font/woff2'],
    ];
    for (const [path, type] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe(type);
      expect(res.headers.get('content-security-policy'), path).toBe(UI_CSP);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    expect(await (await get('/')).text()).toContain('<title>Flowdesk</title>');
  });

  it('serves a link that stays inside the build, but never one leading out', async () => {
    const { get } = fixture();
    expect(await (await get('/alias.css')).text()).toBe('body{}');
    for (const path of ['/leak.txt', '/leakdir/secret.txt']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain('canary secret');
    }
  });

  it('refuses every hostile path form without reaching a file outside the build', async () => {
    const { get, canary } = fixture();
    const abs = canary.replace(/^\/+/, '');
    const failures: string[] = [];
    for (const form of HOSTILE_URL_PATHS.map((f) => f.replaceAll('{abs}', abs))) {
      for (const path of [`/${form}`, `/assets/${form}`]) {
        let res: Response;
        try {
          res = await get(path);
        } catch {
          continue; // not even a URL: it cannot reach the handler
        }
        const body = await res.text();
        // The URL parser resolves plain '..' segments first ('/assets/..' is '/'), so those land
        // on the window's own index; anything else is refused.
        const normalizedToRoot = new URL(`app://flowdesk${path}`).pathname === '/';
        const allowed = normalizedToRoot ? [200] : [400, 404];
        if (body.includes('canary secret') || !allowed.includes(res.status)) failures.push(`${JSON.stringify(path)} -> ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers unknown hosts, folders and missing files with 404, and writes with 405', async () => {
    const { handler, get } = fixture();
    expect((await handler(new Request('app://other/index.html'))).status).toBe(404);
    expect((await get('/assets')).status).toBe(404);
    expect((await get('/nope.js')).status).toBe(404);
    expect((await handler(new Request('app://flowdesk/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
  });

  it("serves artifacts as downloads, with byte ranges, at the HTTP server's paths", async () => {
    const { get, store } = fixture();
    await store.write('1/abc/artifacts/notes.txt', Buffer.from('hello artifacts'));
    const whole = await get('/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/notes.txt');
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(whole.headers.get('content-disposition')).toBe('attachment; filename=notes.txt');
    expect(whole.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(await whole.text()).toBe('hello artifacts');
    const part = await get('/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/notes.txt', { range: 'bytes=6-8' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 6-8/15');
    expect(await part.text()).toBe('art');
    expect((await get('/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/missing.txt')).status).toBe(404);
    expect((await get('/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/notes.txt', { range: 'bytes=99-' })).status).toBe(416);
  });

  it('refuses hostile artifact paths', async () => {
    const { get, canary } = fixture();
    const abs = canary.replace(/^\/+/, '');
    for (const form of HOSTILE_URL_PATHS.map((f) => f.replaceAll('{abs}', abs))) {
      let res: Response;
      try {
        res = await get(`/api/2.0/mlflow-artifacts/artifacts/${form}`);
      } catch {
        continue;
      }
      expect([400, 404], form).toContain(res.status);
      expect(await res.text()).not.toContain('canary secret');
    }
  });
});
