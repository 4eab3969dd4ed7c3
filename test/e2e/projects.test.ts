import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

/** The node-logger fixture as a git repository with one commit, so the form shows its git state. */
function fixtureRepo(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'flowdesk-e2e-project-')), 'node-logger');
  cpSync(resolve('test/fixtures/projects/node-logger'), dir, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: { ...process.env, GIT_AUTHOR_NAME: 'E2E', GIT_AUTHOR_EMAIL: 'e2e@example.org', GIT_COMMITTER_NAME: 'E2E', GIT_COMMITTER_EMAIL: 'e2e@example.org' } });
  git('init', '--quiet', '--initial-branch', 'main');
  git('add', '.');
  git('commit', '--quiet', '-m', 'first');
  return dir;
}

describe('running a project from the window', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let project: string;
  let experimentId: string;

  beforeAll(async () => {
    project = fixtureRepo();
    served = await serveFlowdesk(await prepareDataDir(), { allowRun: true });
    ({ experimentId } = await served.api.call('experiments.create', { name: 'projects' }));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    rmSync(join(project, '..'), { recursive: true, force: true });
  });

  const param = (page: Page, name: string) => page.locator(`#param-${name}`);
  const log = (page: Page) => page.getByTestId('project-log');
  const status = (page: Page) => page.getByTestId('run-status');

  async function openProject(page: Page): Promise<void> {
    await page.getByLabel('Project folder or git URL').fill(project);
    await page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => page.getByTestId('project-summary').textContent()).toContain('node-logger');
  }

  it('builds the form from the parameters, shows what core finds wrong, runs with a live log and runs again', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/`);
    await page.getByRole('link', { name: 'Run project…' }).click();
    await expect.poll(() => page.getByText('The output of the run shows here as it happens.').count()).toBe(1);
    await screenshot(page, 'project-run-empty');

    await openProject(page);
    expect(await page.getByTestId('project-summary').textContent()).toMatch(/main @ [0-9a-f]{7}/);
    expect(await page.locator('#entry-point option').allTextContents()).toEqual(['main', 'fail', 'wait']);
    expect(await param(page, 'alpha').inputValue()).toBe('0.5');
    expect(await param(page, 'data').inputValue()).toBe('data/train.csv');
    // The required parameter is marked and named by core's check.
    await expect.poll(() => page.locator('#issue-label').textContent()).toBe("'label' is required (string) and has no default");
    await param(page, 'alpha').fill('fast');
    await expect.poll(() => page.locator('#issue-alpha').textContent()).toBe("'alpha' must be a number (float), got 'fast'");
    expect(await page.getByRole('button', { name: 'Run', exact: true }).isDisabled()).toBe(true);
    await screenshot(page, 'project-run-validation');

    await param(page, 'alpha').fill('0.25');
    await param(page, 'label').fill('$(whoami); rm -rf ~');
    await param(page, 'epochs').fill('4');
    await page.getByLabel('Experiment', { exact: true }).selectOption({ label: 'projects' });
    await expect.poll(() => page.getByTestId('command-preview').textContent()).toContain("--label '$(whoami); rm -rf ~'");
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => status(page).textContent(), { timeout: 30_000 }).toContain('finished');
    const output = (await log(page).textContent())!;
    expect(output).toContain('"--label","$(whoami); rm -rf ~"');
    expect(output).toContain('epoch 3 loss=0.250');
    expect(output).toContain('a warning on stderr');
    expect(await log(page).locator('.stderr').first().textContent()).toBe('a warning on stderr\n');
    await screenshot(page, 'project-run-finished');

    const { runs } = await served.api.call('runs.search', { experimentIds: [experimentId] });
    expect(runs).toHaveLength(1);
    const first = runs[0]!;
    expect(first.info.status).toBe('FINISHED');
    expect(first.data.params).toContainEqual({ key: 'label', value: '$(whoami); rm -rf ~' });

    // Run again, from the run's page: prefilled, edited, run.
    await page.getByRole('link', { name: 'Open run' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'Run again' }).count()).toBe(1);
    await screenshot(page, 'project-run-page');
    // What Flowdesk recorded about the source sits with the system tags, apart from the script's own.
    expect(await page.getByRole('table', { name: 'Tags', exact: true }).textContent()).not.toContain('flowdesk.');
    expect(await page.locator('table[aria-label="System tags"]').textContent()).toContain('flowdesk.project.command');
    await page.getByRole('link', { name: 'Run again' }).click();
    await expect.poll(() => param(page, 'label').inputValue()).toBe('$(whoami); rm -rf ~');
    expect(await param(page, 'alpha').inputValue()).toBe('0.25');
    expect(await page.getByLabel('Experiment', { exact: true }).inputValue()).toBe(experimentId);
    expect(await page.locator('.prefilled').textContent()).toContain(`Prefilled from run ${first.info.runId.slice(0, 8)}`);
    await param(page, 'epochs').fill('2');
    await expect.poll(() => page.getByTestId('command-preview').textContent()).toContain('--epochs 2');
    await screenshot(page, 'project-run-again');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    // The log turns to the new run.
    await expect.poll(() => log(page).textContent(), { timeout: 30_000 }).toContain('"--epochs","2"');
    await expect.poll(() => status(page).textContent(), { timeout: 30_000 }).toContain('finished');
    const again = (await served.api.call('runs.search', { experimentIds: [experimentId] })).runs.find((r) => r.info.runId !== first.info.runId)!;
    expect(Object.fromEntries(again.data.params.map((p) => [p.key, p.value]))).toMatchObject({ epochs: '2', alpha: '0.25', label: '$(whoami); rm -rf ~' });
    expect(problems).toEqual([]);
  });

  it('streams the output of a long run and cancels it (dark theme)', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(`${served.url}/#/projects/run`);
    await openProject(page);
    await page.locator('#entry-point').selectOption('wait');
    await expect.poll(() => param(page, 'seconds').inputValue()).toBe('600');
    await expect.poll(() => page.getByTestId('command-preview').textContent()).toBe('node wait.mjs 600');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => log(page).textContent(), { timeout: 30_000 }).toMatch(/PIDS \d+ \d+/);
    expect(await status(page).textContent()).toContain('running');
    await screenshot(page, 'project-run-live-dark');
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await expect.poll(() => status(page).textContent(), { timeout: 30_000 }).toContain('killed');
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    await screenshot(page, 'project-run-killed-dark');
    const { runs } = await served.api.call('runs.search', { experimentIds: ['0'] });
    expect(runs[0]!.info.status).toBe('KILLED');
    expect(problems).toEqual([]);
  });

  it('says why a folder cannot be opened', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/projects/run`);
    await page.getByLabel('Project folder or git URL').fill(join(project, 'nowhere'));
    await page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('No project folder at');
    await screenshot(page, 'project-run-missing-folder');
    // The refused call is the only thing the browser complains about.
    expect(problems).toEqual(['console error: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  });
});
