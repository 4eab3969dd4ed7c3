/**
 * The window against a server that needs a token: it shows the sign-in page, signs in, lists
 * experiments, hears live events (through a ticket, since EventSource sends no headers), previews
 * an artifact (an `<img src>` with a ticket), and signs out.
 */
import { deflateSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFlowdesk } from '#core/flowdesk.ts';
import { addUser } from '#core/users/users.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

/** A small solid PNG (one IDAT, no filter), enough for the preview to have pixels to show. */
function png(width: number, height: number): Buffer {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = table[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw.set([47, 111 + Math.round((100 * y) / height), 237], y * (width * 3 + 1) + 1 + x * 3);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** The page's storage, as evaluated inside the browser (the tests compile without DOM types). */
declare const sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
declare const localStorage: { getItem(key: string): string | null };

/** Chromium logs every refused request as a console error; the refusals this test provokes are expected. */
const unexpected = (problems: string[]) => problems.filter((p) => !/status of 401/.test(p));

describe('signing in to a server that needs a token', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let token = '';
  let runPath = '';

  beforeAll(async () => {
    const dataDir = await prepareDataDir(async (dir) => {
      const fd = await openFlowdesk({ dataDir: dir });
      token = (await addUser(fd.catalog, 'ann', 'writer', Date.now())).token;
      await fd.close();
    });
    served = await serveFlowdesk(dataDir, { token });
    const { experimentId } = await served.api.call('experiments.create', { name: 'team-baseline' });
    const { run } = await served.api.call('runs.create', { experimentId, runName: 'shared-run' });
    const root = run.info.artifactUri.replace(/^mlflow-artifacts:\/+/, '');
    const put = await fetch(`${served.url}/api/2.0/mlflow-artifacts/artifacts/${root}/curve.png`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: png(120, 80) });
    expect(put.status).toBe(200);
    runPath = `#/experiments/${experimentId}/runs/${run.info.runId}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`shows the sign-in page and says why a wrong token is refused (${colorScheme})`, async () => {
      const { page, problems } = await openPage(browser, { colorScheme });
      await page.goto(served.url);
      await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
      await screenshot(page, `sign-in-${colorScheme}`);
      await page.getByLabel('Token').fill('fdt_not-a-real-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not valid for this server/);
      await screenshot(page, `sign-in-refused-${colorScheme}`);
      expect(await page.getByRole('navigation', { name: 'Experiments' }).count()).toBe(0);
      expect(unexpected(problems)).toEqual([]);
      await page.context().close();
    });
  }

  it('signs in, lists experiments, hears live events, previews an artifact and signs out', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(served.url);
    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const sidebar = page.getByRole('navigation', { name: 'Experiments' });
    await expect.poll(() => sidebar.getByRole('link', { name: 'team-baseline' }).isVisible()).toBe(true);
    await expect.poll(() => sidebar.getByText('Signed in as').textContent()).toMatch(/Signed in as ann\s*writer/);
    // Imports read paths on the server's machine: only its owner is offered Import…
    await page.getByRole('link', { name: 'Disk usage' }).waitFor();
    expect(await page.getByRole('button', { name: 'Import…' }).count()).toBe(0);
    // The event stream is open (it needs a ticket here), and what a script does shows up live.
    await expect.poll(() => sidebar.locator('.live').getAttribute('class')).toMatch(/\blive live\b/);
    await served.api.call('experiments.create', { name: 'logged-while-watching' });
    await expect.poll(() => sidebar.getByRole('link', { name: 'logged-while-watching' }).isVisible()).toBe(true);
    // The token stays out of every URL the page uses, and out of localStorage ("remember" was not ticked).
    expect(await page.evaluate(() => [sessionStorage.getItem('flowdesk.token') !== null, localStorage.getItem('flowdesk.token')])).toEqual([true, null]);

    await page.goto(`${served.url}/${runPath}`);
    const tree = page.getByRole('tree', { name: 'Artifacts' });
    await tree.getByRole('button', { name: 'curve.png' }).click();
    const image = page.locator('[data-preview="image"] img');
    await expect.poll(() => image.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).naturalWidth)).toBe(120);
    const src = (await image.getAttribute('src')) ?? '';
    expect(src).toMatch(/[?&]ticket=/);
    expect(src).not.toContain(token.slice(4));
    const download = await page.getByRole('link', { name: 'Download', exact: true }).getAttribute('href');
    expect((await page.evaluate(async (href) => (await fetch(href!)).status, download))).toBe(200);
    await page.locator('#artifacts-title').evaluate((el) => (el as unknown as { scrollIntoView(options: object): void }).scrollIntoView({ block: 'start' }));
    await screenshot(page, 'signed-in-artifact');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('flowdesk.token'))).toBe(null);

    // A kept token the server no longer accepts is forgotten, and the sign-in page says why.
    await page.evaluate(() => sessionStorage.setItem('flowdesk.token', 'fdt_revoked-meanwhile'));
    await page.reload();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not valid for this server/);
    expect(await page.evaluate(() => sessionStorage.getItem('flowdesk.token'))).toBe(null);
    expect(unexpected(problems)).toEqual([]);
    await page.context().close();
  });
});
