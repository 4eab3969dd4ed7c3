import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerUiRoutes, UI_CSP } from '#core/server/ui-routes.ts';
import { startTestServer } from '../helpers/server.ts';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fake build folder next to a secret file that must never be served. */
function fakeBuild(): string {
  const root = mkdtempSync(join(tmpdir(), 'flowdesk-ui-'));
  made.push(root);
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>window</title>');
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'TOP-SECRET-CONTENT');
  symlinkSync(join(root, 'secret.txt'), join(dist, 'linked.txt'));
  return dist;
}

async function app(dir: string) {
  const fastify = Fastify();
  fastify.get('/api/real', async () => ({ ok: true }));
  registerUiRoutes(fastify, { dir });
  return fastify;
}

describe('the window served at /', () => {
  it('serves index.html uncached and hashed assets cached for good, both under the strict CSP', async () => {
    const fastify = await app(fakeBuild());
    const index = await fastify.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('<title>window</title>');
    expect(index.headers).toMatchObject({ 'content-security-policy': UI_CSP, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' });
    const asset = await fastify.inject({ url: '/assets/index-abc123.js' });
    expect(asset.headers['content-type']).toContain('text/javascript');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('answers client routes that accept HTML with index.html, and API paths with a 404', async () => {
    const fastify = await app(fakeBuild());
    const view = await fastify.inject({ url: '/experiments/3', headers: { accept: 'text/html,*/*' } });
    expect(view.statusCode).toBe(200);
    expect(view.body).toContain('<title>window</title>');
    for (const url of ['/api/2.0/nope', '/ajax-api/2.0/nope', '/get-artifact/x', '/experiments/3']) {
      const accept = url.startsWith('/experiments') ? 'application/json' : 'text/html';
      expect((await fastify.inject({ url, headers: { accept } })).statusCode, url).toBe(404);
    }
    expect((await fastify.inject({ url: '/api/real' })).json()).toEqual({ ok: true });
  });

  it('serves nothing outside the build folder: no traversal, no symlinks', async () => {
    const fastify = await app(fakeBuild());
    for (const url of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/linked.txt', '/%E0%A4%A']) {
      const response = await fastify.inject({ url, headers: { accept: 'application/json' } });
      expect(response.body, url).not.toContain('TOP-SECRET-CONTENT');
      expect([400, 404], url).toContain(response.statusCode);
    }
  });

  it('says how to build the window when it is not built, instead of a blank page', async () => {
    const fastify = await app(join(tmpdir(), 'flowdesk-no-such-build'));
    const response = await fastify.inject({ url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-security-policy']).toBe(UI_CSP);
    expect(response.body).toContain('npm run build:ui');
  });

  it('is part of flowdesk serve, behind its manners: a foreign origin is refused', async () => {
    const { url } = await startTestServer();
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(UI_CSP);
    const foreign = await fetch(`${url}/`, { headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
  });
});
