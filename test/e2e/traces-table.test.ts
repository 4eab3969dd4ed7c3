/**
 * The traces table in Chromium: traces written by the real MLflow 3.5.1 client (previews, an
 * error, tokens, tags, feedback) as they show in an experiment's Traces tab, new traces arriving
 * live, the empty state, links to the trace view and compare; and 100,000 traces seeded through
 * the core, where only the rows in view are in the page, scrolling to the end loads the next page,
 * and sorting, filtering and the exact count are the server's. Screenshots in both themes.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFlowdesk } from '#core/flowdesk.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';
import { seeded, seedTraces } from './bulk-traces.ts';

const TRACES = 100_000;
/** Answers over 100,000 traces take their time on a busy machine; the polls wait, never a clock in an assertion. */
const slow = { timeout: 30_000 };

const matchCount = async (page: Page) => Number(await page.locator('footer.status-bar [data-match-count]').getAttribute('data-match-count'));
const loadedCount = async (page: Page) => Number(await page.locator('footer.status-bar [data-loaded]').getAttribute('data-loaded'));
const rowIds = (page: Page) => page.locator('[role="row"][data-trace-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-trace-id')!));

async function applyFilter(page: Page, filter: string) {
  await page.getByLabel('Filter traces').fill(filter);
  await page.getByLabel('Filter traces').press('Enter');
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('the traces table', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let bulkId = '';
  let agentsId = '';
  let agentRunId = '';
  let client: { ids: string[]; failed: string; tagged: string; assessed: string };

  beforeAll(async () => {
    const dataDir = await prepareDataDir(async (dir) => {
      const fd = await openFlowdesk({ dataDir: dir });
      try {
        ({ experimentId: bulkId } = await fd.handlers['experiments.create']({ name: 'support-bot-at-scale' }));
        await seedTraces(fd, bulkId, TRACES);
      } finally {
        await fd.close();
      }
    });
    served = await serveFlowdesk(dataDir);
    client = await runPython<typeof client>(
      '3.5.1',
      served.url,
      `
import json, mlflow, time
from mlflow import MlflowClient
from mlflow.entities import AssessmentSource
mlflow.set_experiment("agents")
client = MlflowClient()

@mlflow.trace(span_type="TOOL")
def lookup(city):
    return {"city": city, "temp": 21.5}

@mlflow.trace(name="answer", span_type="CHAIN")
def answer(question):
    with mlflow.start_span(name="llm", span_type="CHAT_MODEL") as span:
        span.set_inputs({"messages": [{"role": "user", "content": question}]})
        span.set_attribute("mlflow.chat.tokenUsage", {"input_tokens": 12, "output_tokens": 30, "total_tokens": 42})
        span.set_outputs("It is mild.")
    if "fail" in question:
        raise RuntimeError("the model timed out")
    return f"{lookup('Paris')['temp']} degrees"

ids = []
with mlflow.start_run() as run:
    for q in ["How warm is Paris?", "Please fail this one", "And tomorrow?"]:
        try:
            answer(q)
        except RuntimeError:
            pass
        ids.append(mlflow.get_last_active_trace_id())
        time.sleep(0.01)
client.set_trace_tag(ids[0], "env", "prod")
mlflow.log_feedback(trace_id=ids[0], name="helpful", value=True, source=AssessmentSource(source_type="HUMAN", source_id="ann"))
mlflow.log_expectation(trace_id=ids[0], name="expected", value="21.5 degrees")
print(json.dumps({"ids": ids, "failed": ids[1], "tagged": ids[0], "assessed": ids[0], "runId": run.info.run_id}))
`,
    );
    agentRunId = (client as unknown as { runId: string }).runId;
    agentsId = (await served.api.call('experiments.getByName', { name: 'agents' })).experiment.experimentId;
    browser = await launchChromium();
    // Seeding 100,000 traces and starting Python take their time on a shared machine.
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it("shows the real client's traces with previews, the error marked, tokens, tags and assessments", async () => {
    for (const theme of ['light', 'dark'] as const) {
      const { page, problems } = await openPage(browser, { colorScheme: theme });
      await page.goto(`${served.url}/#/experiments/${agentsId}/traces`);
      await expect.poll(() => matchCount(page), slow).toBe(3);
      // Newest first.
      expect(await rowIds(page)).toEqual([...client.ids].reverse());
      const first = page.locator(`[data-trace-id="${client.tagged}"]`);
      expect(await first.locator('[aria-colindex="3"]').textContent()).toBe('How warm is Paris?');
      expect(await first.locator('[aria-colindex="4"]').textContent()).toBe('21.5 degrees');
      expect(await first.locator('[aria-colindex="8"]').textContent()).toBe('42');
      expect(await first.locator('[aria-colindex="9"] .chip').allTextContents()).toEqual(['env=prod']);
      expect(await first.locator('[aria-colindex="10"] .chip').allTextContents()).toEqual(['yes', '21.5 degrees']);
      expect(await first.locator('[aria-colindex="10"]').getAttribute('title')).toBe('helpful: yes\nexpected: 21.5 degrees');
      const failed = page.locator(`[data-trace-id="${client.failed}"]`);
      expect(await failed.getAttribute('class')).toContain('error');
      expect(await failed.locator('.status').textContent()).toBe('Error');
      await screenshot(page, `traces-table-client-${theme}`);
      expect(problems).toEqual([]);
      await page.context().close();
    }
  });

  it('shows a new trace without a reload and counts it', async () => {
    const { page, problems } = await openPage(browser);
    const { experimentId } = await served.api.call('experiments.create', { name: 'live-traces' });
    await page.goto(`${served.url}/#/experiments/${experimentId}/traces`);
    await page.getByText('No traces yet.').waitFor();
    const traceId = `tr-${'f'.repeat(32)}`;
    await served.api.call('traces.logSpans', {
      experimentId,
      spans: [{ traceId, spanId: '1'.repeat(16), name: 'live', startTimeNs: '1780000000000000000', endTimeNs: '1780000000250000000', status: { code: 'OK', message: '' }, attributes: { 'mlflow.spanInputs': '"arrived live"' }, events: [] }],
    });
    await expect.poll(() => rowIds(page), slow).toEqual([traceId]);
    await expect.poll(() => matchCount(page), slow).toBe(1);
    expect(await page.locator(`[data-trace-id="${traceId}"] [aria-colindex="3"]`).textContent()).toBe('arrived live');
    expect(await page.locator(`[data-trace-id="${traceId}"] [aria-colindex="7"]`).textContent()).toBe('250 ms');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('says how to send traces when an experiment has none', async () => {
    for (const theme of ['light', 'dark'] as const) {
      const { page, problems } = await openPage(browser, { colorScheme: theme });
      const { experimentId } = await served.api.call('experiments.create', { name: `no-traces-${theme}` });
      await page.goto(`${served.url}/#/experiments/${experimentId}/traces`);
      const empty = page.locator('.overlay.empty');
      await empty.waitFor();
      expect(await empty.textContent()).toContain(`export MLFLOW_TRACKING_URI=${served.url}`);
      expect(await empty.textContent()).toContain('@mlflow.trace');
      await screenshot(page, `traces-table-empty-${theme}`);
      expect(problems).toEqual([]);
      await page.context().close();
    }
  });

  it('opens the trace view from a row and offers to compare exactly two picked traces', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${agentsId}/traces`);
    await expect.poll(() => matchCount(page), slow).toBe(3);
    await page.getByLabel(`Select trace ${client.ids[0]}`).check();
    expect(await page.getByRole('link', { name: 'Compare' }).count()).toBe(0);
    await page.getByLabel(`Select trace ${client.ids[2]}`).check();
    const href = await page.getByRole('link', { name: 'Compare' }).getAttribute('href');
    const params = new URLSearchParams(href!.split('?')[1]);
    expect(new Set([params.get('a'), params.get('b')])).toEqual(new Set([client.ids[0], client.ids[2]]));
    await page.locator(`[data-trace-id="${client.failed}"] [aria-colindex="3"]`).click();
    await expect.poll(() => page.evaluate('location.hash')).toBe(`#/traces/${client.failed}`);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('keeps only the rows in view in the page at 100,000 traces and loads more at the end', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${bulkId}/traces`);
    await expect.poll(() => matchCount(page), slow).toBe(TRACES);
    const firstPage = await loadedCount(page);
    expect(firstPage).toBeLessThan(TRACES);
    expect(await page.locator('[role="row"][data-trace-id]').count()).toBeLessThan(60);
    expect((await rowIds(page))[0]).toBe(seeded.traceId(TRACES - 1));
    await page.locator('[role="grid"]').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect.poll(() => loadedCount(page), slow).toBeGreaterThan(firstPage);
    expect(await page.locator('[role="row"][data-trace-id]').count()).toBeLessThan(60);
    await screenshot(page, 'traces-table-100000-light');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('sorts 100,000 traces by latency on the server, the order kept in the address', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(`${served.url}/#/experiments/${bulkId}/traces`);
    await expect.poll(() => matchCount(page), slow).toBe(TRACES);
    await page.getByRole('button', { name: 'Latency' }).click();
    await page.getByRole('button', { name: 'Latency' }).click();
    await expect.poll(() => page.evaluate('location.hash'), slow).toContain('sort=execution_time_ms&dir=desc');
    const slowest = Math.max(...Array.from({ length: TRACES }, (_, n) => seeded.latencyMs(n)));
    await expect.poll(async () => page.locator('[role="row"][data-trace-id]').first().locator('[aria-colindex="7"]').textContent(), slow).toBe(`${slowest} ms`);
    expect(await page.locator('[role="columnheader"][aria-sort="descending"]').textContent()).toContain('Latency');
    await screenshot(page, 'traces-table-100000-sorted-dark');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('filters 100,000 traces with OR and parentheses and counts the matches exactly', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${bulkId}/traces`);
    await expect.poll(() => matchCount(page), slow).toBe(TRACES);
    const filter = "trace.status = 'ERROR' AND (tags.env = 'prod' OR trace.execution_time_ms > 990)";
    await applyFilter(page, filter);
    const expected = Array.from({ length: TRACES }, (_, n) => n).filter((n) => seeded.isError(n) && (seeded.env(n) === 'prod' || seeded.latencyMs(n) > 990)).length;
    await expect.poll(() => matchCount(page), slow).toBe(expected);
    expect(await page.locator('footer.status-bar').textContent()).toContain(`${expected.toLocaleString('en-US')} traces match the filter`);
    expect(await page.locator('[role="row"][data-trace-id] .status').allTextContents()).toEqual(expect.arrayContaining(['Error']));
    expect(new Set(await page.locator('[role="row"][data-trace-id] .status').allTextContents())).toEqual(new Set(['Error']));
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('marks where a filter goes wrong, as the server found it', async () => {
    const { page } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${bulkId}/traces`);
    await expect.poll(() => matchCount(page), slow).toBe(TRACES);
    await applyFilter(page, "trace.status = 'OK' AND trace.latency > 5");
    const error = page.locator('#trace-filter-error');
    await error.waitFor();
    expect(await error.locator('.message').textContent()).toMatch(/^At position 25: /);
    expect(await error.locator('mark').textContent()).toBe('t');
    await screenshot(page, 'traces-table-filter-error-light');
    await page.context().close();
  });

  it("lists a run's traces on its page", async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${agentsId}/runs/${agentRunId}`);
    const section = page.locator('section.run-traces');
    await expect.poll(() => section.locator('footer.status-bar [data-match-count]').getAttribute('data-match-count'), slow).toBe('3');
    expect(new Set(await section.locator('[role="row"][data-trace-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-trace-id')!)))).toEqual(new Set(client.ids));
    await section.scrollIntoViewIfNeeded();
    await screenshot(page, 'traces-table-run-page-light');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
