import { deflateSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

/** A small RGB PNG with a gradient, so the image preview has something to show. */
function gradientPng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) raw.set([Math.round((255 * x) / width), Math.round((255 * y) / height), 180], row + 1 + x * 3);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Scrolls the run page so the artifact browser fills the screenshot. */
async function scrollToArtifacts(page: Page): Promise<void> {
  await page.locator('#artifacts-title').evaluate((el) => (el as unknown as { scrollIntoView(options: object): void }).scrollIntoView({ block: 'start' }));
}

const DESCRIPTION = [
  '## Baseline',
  'Trained on **CIFAR-10** with `lr=0.01`. See [the paper](https://example.org/paper).',
  '',
  '<script>alert("desc")</script>',
  '[click me](javascript:alert(1)) <img src=x onerror=alert(2)> <a href="javascript:alert(3)">raw link</a>',
].join('\n');

describe('the run page', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId: string;
  let runId: string;
  let parentId: string;
  /** Bytes in the big log, more than one 64 KB page. */
  const logLines = Array.from({ length: 4000 }, (_, i) => `step ${i} loss=${(1 / (i + 1)).toFixed(6)} lr=0.01 throughput=1234.5 samples/s`);

  async function put(path: string, body: Buffer | string) {
    const { run } = await served.api.call('runs.get', { runId });
    const root = run.info.artifactUri.replace(/^mlflow-artifacts:\/+/, '');
    const response = await fetch(`${served.url}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`, { method: 'PUT', body });
    expect(response.status).toBe(200);
  }

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir());
    ({ experimentId } = await served.api.call('experiments.create', { name: 'cifar' }));
    const parent = await served.api.call('runs.create', { experimentId, runName: 'sweep', userId: 'ada' });
    parentId = parent.run.info.runId;
    const { run } = await served.api.call('runs.create', { experimentId, runName: 'resnet-baseline', userId: 'ada' });
    runId = run.info.runId;
    const timestamp = Date.now();
    await served.api.call('runs.logBatch', {
      runId,
      params: [{ key: 'lr', value: '0.01' }, { key: 'optimizer', value: 'adam' }, { key: 'epochs', value: '30' }],
      metrics: [
        { key: 'loss', value: 0.5, timestamp, step: 1 },
        { key: 'loss', value: 0.2345, timestamp, step: 2 },
        { key: 'accuracy', value: 0.912, timestamp, step: 2 },
      ],
      tags: [
        { key: 'team', value: 'vision' },
        { key: 'mlflow.parentRunId', value: parentId },
        { key: 'mlflow.source.name', value: 'train.py' },
        { key: 'mlflow.source.git.commit', value: '3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49' },
        { key: 'mlflow.note.content', value: DESCRIPTION },
      ],
    });
    await served.api.call('runs.update', { runId, status: 'FINISHED', endTime: timestamp + 125_000 });
    await put('plots/confusion.png', gradientPng(160, 120));
    await put('logs/train.log', logLines.join('\n') + '\n');
    await put('data/predictions.csv', 'id,label,score\n' + Array.from({ length: 5000 }, (_, i) => `${i},${i % 3 === 0 ? 'cat' : 'dog'},${(i % 100) / 100}`).join('\n') + '\n');
    await put('metrics.json', JSON.stringify({ accuracy: 0.912, classes: ['cat', 'dog'] }));
    await put('report.html', '<h1>Report</h1><p id="p">static</p><script>document.getElementById("p").textContent = "scripted"; parent.alert(1)</script><img src="/api/2.0/mlflow/experiments/search">');
    await put('model/MLmodel', 'artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    sklearn_version: 1.5.0\nmlflow_version: 2.16.0\n');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('opens from the runs table and shows overview, params and metrics', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    // The run is a child of 'sweep', folded under it until the parent is opened.
    await page.locator('[role="row"][data-run-id]', { hasText: 'sweep' }).getByRole('button', { name: 'Show 1 child runs' }).click();
    const row = page.locator('[role="row"][data-run-id]', { hasText: 'resnet-baseline' });
    await row.click();
    await page.getByRole('grid', { name: 'Runs' }).press('Enter');
    await expect.poll(() => page.url()).toContain(`/runs/${runId}`);
    await expect.poll(() => page.locator('h1.run-name').textContent()).toBe('resnet-baseline');
    expect(await page.locator('a[aria-current="page"]').first().textContent()).toContain('cifar');
    const overview = page.locator('.overview');
    expect(await overview.textContent()).toContain('ada');
    expect(await overview.textContent()).toContain('2 min 5 s');
    expect(await overview.textContent()).toContain('train.py');
    expect(await overview.textContent()).toContain('3f2a9c1d0e8b');
    // The parent is named by its name, not its id, and linked.
    await expect.poll(() => overview.getByTestId('parent-run').textContent()).toBe('sweep');
    expect(await overview.getByTestId('parent-run').getAttribute('href')).toBe(`#/experiments/${experimentId}/runs/${parentId}`);
    const params = page.getByRole('table', { name: 'Parameters' });
    expect(await params.locator('tr', { hasText: 'optimizer' }).textContent()).toContain('adam');
    const metrics = page.getByRole('table', { name: 'Metrics' });
    expect(await metrics.locator('tr', { hasText: 'loss' }).textContent()).toContain('0.2345');
    expect(await metrics.locator('tr', { hasText: 'accuracy' }).textContent()).toContain('0.912');
    await screenshot(page, 'run-page');

    // The parent link leads to the parent, which lists this run among its children.
    await overview.getByTestId('parent-run').click();
    await expect.poll(() => page.locator('h1.run-name').textContent()).toBe('sweep');
    await expect.poll(() => page.locator('.overview .children').textContent()).toContain('resnet-baseline');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('renders the markdown description without script or javascript: links', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    const description = page.getByTestId('description');
    await expect.poll(() => description.locator('h2').textContent()).toBe('Baseline');
    expect(await description.locator('strong').textContent()).toBe('CIFAR-10');
    expect(await description.getByRole('link', { name: 'the paper' }).getAttribute('href')).toBe('https://example.org/paper');
    expect(await page.locator('script', { hasText: 'alert' }).count()).toBe(0);
    expect(await description.locator('script, [onerror], iframe').count()).toBe(0);
    const hrefs = await description.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    expect(hrefs.some((h) => /javascript:/i.test(h))).toBe(false);
    await page.waitForTimeout(200);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('edits the description as markdown, and it persists after a reload (dark theme)', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${parentId}`);
    await expect.poll(() => page.locator('h1.run-name').textContent()).toBe('sweep');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByLabel('Description (markdown)').fill('# Sweep\n\n- lr in {0.1, 0.01}\n- [notes](javascript:alert(9))');
    await page.getByRole('button', { name: 'Save' }).click();
    const description = page.getByTestId('description');
    await expect.poll(() => description.locator('h1').textContent()).toBe('Sweep');
    await page.reload();
    await expect.poll(() => page.locator('h1.run-name').textContent()).toBe('sweep');
    await expect.poll(() => description.locator('li').allTextContents()).toEqual(['lr in {0.1, 0.01}', 'notes']);
    expect(await description.locator('a').getAttribute('href')).toBeNull();
    await page.getByRole('button', { name: 'Rename run' }).click();
    await page.getByLabel('Run name').fill('lr-sweep');
    await page.getByLabel('Run name').press('Enter');
    await expect.poll(() => page.locator('h1.run-name').textContent()).toBe('lr-sweep');
    await page.reload();
    await expect.poll(() => page.locator('h1.run-name').textContent()).toBe('lr-sweep');
    await screenshot(page, 'run-page-dark');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('adds, edits and deletes tags, and the edits persist after a reload', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    const tags = page.getByRole('table', { name: 'Tags' });
    await expect.poll(() => tags.locator('tr[data-tag="team"]').textContent()).toContain('vision');
    await page.getByRole('button', { name: 'Edit tag team' }).click();
    await page.getByLabel('Value of team').fill('vision-research');
    await page.getByLabel('Value of team').press('Enter');
    await expect.poll(() => tags.locator('tr[data-tag="team"]').textContent()).toContain('vision-research');
    await page.getByLabel('New tag key').fill('reviewed');
    await page.getByLabel('New tag value').fill('yes');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await expect.poll(() => tags.locator('tr[data-tag="reviewed"]').count()).toBe(1);
    await page.reload();
    await expect.poll(() => tags.locator('tr[data-tag="team"]').textContent()).toContain('vision-research');
    expect(await tags.locator('tr[data-tag="reviewed"]').textContent()).toContain('yes');
    await page.getByRole('button', { name: 'Delete tag reviewed' }).click();
    await expect.poll(() => tags.locator('tr[data-tag="reviewed"]').count()).toBe(0);
    const { run } = await served.api.call('runs.get', { runId });
    expect(run.data.tags.find((t) => t.key === 'team')?.value).toBe('vision-research');
    expect(run.data.tags.some((t) => t.key === 'reviewed')).toBe(false);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('browses artifacts and previews an image, a paged log, a CSV and an MLmodel', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    const tree = page.getByRole('tree', { name: 'Artifacts' });
    await expect.poll(() => tree.locator(':scope > li').count()).toBe(6);
    await tree.getByRole('button', { name: 'plots' }).click();
    await tree.getByRole('button', { name: 'confusion.png' }).click();
    const image = page.locator('[data-preview="image"] img');
    await expect.poll(() => image.evaluate((img) => { const i = img as unknown as { complete: boolean; naturalWidth: number }; return i.complete && i.naturalWidth; })).toBe(160);
    await scrollToArtifacts(page);
    await screenshot(page, 'run-artifacts-image');

    await tree.getByRole('button', { name: 'logs' }).click();
    await tree.getByRole('button', { name: 'train.log' }).click();
    const text = page.locator('[data-preview="text"] pre');
    await expect.poll(() => text.textContent()).toContain('step 0 loss=1.000000');
    const firstPage = (await text.textContent())!.length;
    expect(firstPage).toBeLessThanOrEqual(64 * 1024);
    expect(await text.textContent()).not.toContain(logLines.at(-1));
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(async () => (await text.textContent())!.length).toBeGreaterThan(firstPage);
    await scrollToArtifacts(page);
    await screenshot(page, 'run-artifacts-log');

    await tree.getByRole('button', { name: 'data' }).click();
    await tree.getByRole('button', { name: 'predictions.csv' }).click();
    const csv = page.getByRole('table', { name: 'Preview of predictions.csv' });
    await expect.poll(() => csv.locator('th').allTextContents()).toEqual(['id', 'label', 'score']);
    expect(await csv.locator('tbody tr').first().textContent()).toBe('0cat0');
    expect(await page.locator('[data-preview="csv"]').textContent()).toContain('download the file for all of it');
    await scrollToArtifacts(page);
    await screenshot(page, 'run-artifacts-csv');

    await tree.getByRole('button', { name: 'model' }).click();
    await tree.getByRole('button', { name: 'MLmodel' }).click();
    await expect.poll(() => page.locator('[data-preview="mlmodel"]').getByLabel('Flavors').textContent()).toBe('python_functionsklearn');

    await tree.getByRole('button', { name: 'metrics.json' }).click();
    await expect.poll(() => page.locator('[data-preview="json"] pre').textContent()).toContain('"accuracy": 0.912,\n');
    // An HTML report shows in a sandboxed frame whose script never runs.
    await tree.getByRole('button', { name: 'report.html' }).click();
    const frame = page.locator('[data-preview="html"] iframe');
    await expect.poll(() => frame.getAttribute('sandbox')).toBe('');
    const inner = page.frameLocator('[data-preview="html"] iframe');
    await expect.poll(() => inner.locator('h1').textContent()).toBe('Report');
    await page.waitForTimeout(200);
    expect(await inner.locator('#p').textContent()).toBe('static');
    expect(problems.filter((p) => !/Content Security Policy|sandboxed|Blocked script/i.test(p))).toEqual([]);
    await page.context().close();
  });

  it('follows a script still logging: new metrics, tags and artifacts appear without a reload', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    const tree = page.getByRole('tree', { name: 'Artifacts' });
    await expect.poll(() => tree.locator(':scope > li').count()).toBe(6);
    await served.api.call('runs.logBatch', { runId, metrics: [{ key: 'val_loss', value: 0.333, timestamp: Date.now(), step: 3 }], tags: [{ key: 'stage', value: 'eval' }] });
    await put('eval/summary.txt', 'all good\n');
    await expect.poll(() => page.getByRole('table', { name: 'Metrics' }).locator('tr', { hasText: 'val_loss' }).textContent()).toContain('0.333');
    await expect.poll(() => page.getByRole('table', { name: 'Tags' }).locator('tr[data-tag="stage"]').textContent()).toContain('eval');
    await expect.poll(() => tree.getByRole('button', { name: 'eval' }).count()).toBe(1);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
