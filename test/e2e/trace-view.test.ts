/**
 * The trace view and the comparison of two traces in Chromium, with traces made by the real
 * MLflow 3.5.1 client (`@mlflow.trace` nested spans, a chat-style span with messages and token
 * usage, an exception, a large input, `mlflow.log_feedback`): what the window shows is checked
 * against what the client sent, and tags and assessments edited in the window are read back
 * through the API.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

/** What the client made: trace ids and the values the window must show. */
interface Made {
  nested: string;
  other: string;
  failed: string;
  large: string;
  feedbackId: string;
  spans: { name: string; type: string; parent: string | null; id: string }[];
  largeLength: number;
}

const SCRIPT = `
import json, mlflow
from mlflow.entities import AssessmentSource
mlflow.set_experiment("trace-view")

@mlflow.trace(span_type="TOOL")
def lookup(city):
    return {"city": city, "temp": 21.5 if city == "Paris" else 9.0}

@mlflow.trace(name="answer", span_type="CHAIN")
def answer(question, city):
    with mlflow.start_span(name="chat", span_type="CHAT_MODEL") as span:
        span.set_inputs({"model": "tiny", "messages": [
            {"role": "system", "content": "You answer weather questions."},
            {"role": "user", "content": question},
        ]})
        span.set_outputs({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Let me look that up for " + city + "."}}]})
        span.set_attribute("mlflow.chat.tokenUsage", {"input_tokens": 31, "output_tokens": 9, "total_tokens": 40})
    return lookup(city)["temp"]

answer("how warm is Paris?", "Paris")
nested = mlflow.get_last_active_trace_id()
answer("how warm is Oslo?", "Oslo")
other = mlflow.get_last_active_trace_id()

@mlflow.trace
def fails(x):
    raise ValueError("no answer for " + x)

try:
    fails("Lima")
except ValueError:
    pass
failed = mlflow.get_last_active_trace_id()

big = "".join("chunk %05d;" % i for i in range(9000)) + "THE-END"
@mlflow.trace
def summarize(document):
    return len(document)
summarize(big)
large = mlflow.get_last_active_trace_id()

fb = mlflow.log_feedback(trace_id=nested, name="helpful", value=True, rationale="named the right city", source=AssessmentSource(source_type="HUMAN", source_id="alice"))
trace = mlflow.get_trace(nested)
print(json.dumps({
    "nested": nested, "other": other, "failed": failed, "large": large, "feedbackId": fb.assessment_id,
    "spans": [{"name": s.name, "type": s.span_type, "parent": s.parent_id, "id": s.span_id} for s in trace.data.spans],
    "largeLength": len(big),
}))
`;

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('the trace view', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let made: Made;

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir());
    made = await runPython<Made>('3.5.1', served.url, SCRIPT);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  async function open(hash: string, theme: 'light' | 'dark' = 'light'): Promise<{ page: Page; problems: string[] }> {
    const opened = await openPage(browser, { colorScheme: theme });
    await opened.page.goto(`${served.url}/${hash}`);
    return opened;
  }

  const rowNames = (page: Page) => page.locator('[role="treeitem"] .label').allTextContents();

  it('shows the span tree as the client nested it, with a waterfall bar for each span', async () => {
    const { page, problems } = await open(`#/traces/${made.nested}`);
    await page.locator('[role="treeitem"]').nth(2).waitFor();
    expect(await rowNames(page)).toEqual(made.spans.map((s) => s.name));
    const levels = await page.locator('[role="treeitem"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-level')));
    const depthOf = (s: Made['spans'][number]): number => (s.parent === null ? 1 : 1 + depthOf(made.spans.find((p) => p.id === s.parent)!));
    expect(levels).toEqual(made.spans.map((s) => String(depthOf(s))));
    expect(await page.locator('[role="treeitem"] .bar').count()).toBe(3);
    // The root's bar spans the whole trace; the children's sit inside it.
    const widths = await page.locator('[role="treeitem"] .bar').evaluateAll((bars) => bars.map((b) => b.getBoundingClientRect().width));
    expect(widths[0]).toBeGreaterThan(widths[1]!);
    await expect.poll(() => page.getByTestId('trace-state').textContent()).toBe('OK');
    expect(JSON.parse((await page.getByTestId('request-preview').textContent())!)).toEqual({ question: 'how warm is Paris?', city: 'Paris' });
    expect(await page.getByTestId('trace-tokens').textContent()).toContain('40');
    await screenshot(page, 'trace-view-light');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("shows a chat span's messages as a conversation with role labels, and its token usage", async () => {
    const { page, problems } = await open(`#/traces/${made.nested}`);
    await page.locator('[role="treeitem"]', { hasText: 'chat' }).click();
    const details = page.locator('article.span-details');
    await details.locator('h2', { hasText: 'chat' }).waitFor();
    const inputs = details.getByRole('list', { name: 'Inputs as a conversation' });
    expect(await inputs.locator('.role').allTextContents()).toEqual(['system', 'user']);
    expect(await inputs.locator('.content').allTextContents()).toEqual(['You answer weather questions.', 'how warm is Paris?']);
    const outputs = details.getByRole('list', { name: 'Outputs as a conversation' });
    expect(await outputs.locator('.role').allTextContents()).toEqual(['assistant']);
    expect(await outputs.locator('.content').allTextContents()).toEqual(['Let me look that up for Paris.']);
    expect(await details.getByTestId('span-tokens').textContent()).toBe('31 in · 9 out · 40 total');
    await screenshot(page, 'trace-view-chat');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows JSON inputs and outputs of a plain span as collapsible JSON', async () => {
    const { page } = await open(`#/traces/${made.nested}`);
    await page.locator('[role="treeitem"]', { hasText: 'lookup' }).click();
    const outputs = page.locator('article.span-details').getByRole('group', { name: 'Outputs as JSON' });
    await outputs.waitFor();
    expect(await outputs.locator('.leaf').allTextContents()).toEqual(['city: "Paris"', 'temp: 21.5']);
    await outputs.getByRole('button', { expanded: true }).first().click();
    expect(await outputs.textContent()).not.toContain('temp');
    await page.context().close();
  });

  it('moves through the tree with the keyboard, collapsing and expanding', async () => {
    const { page } = await open(`#/traces/${made.nested}`);
    const tree = page.getByRole('tree', { name: 'Spans of this trace' });
    await page.locator('[role="treeitem"]').nth(2).waitFor();
    await tree.focus();
    const selected = () => page.locator('[role="treeitem"][aria-selected="true"] .label').textContent();
    expect(await selected()).toBe('answer');
    await page.keyboard.press('ArrowDown');
    expect(await selected()).toBe(made.spans[1]!.name);
    await page.keyboard.press('ArrowLeft');
    expect(await selected()).toBe('answer');
    await page.keyboard.press('ArrowLeft');
    expect(await rowNames(page)).toEqual(['answer']);
    expect(await page.locator('[role="treeitem"]').first().getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('ArrowRight');
    expect(await rowNames(page)).toEqual(made.spans.map((s) => s.name));
    await page.keyboard.press('End');
    expect(await selected()).toBe(made.spans[2]!.name);
    expect(await page.locator('article.span-details h2').textContent()).toBe(made.spans[2]!.name);
    await page.context().close();
  });

  it('marks the failed span on the tree and shows its exception with the stack text', async () => {
    const { page, problems } = await open(`#/traces/${made.failed}`, 'dark');
    const row = page.locator('[role="treeitem"]').first();
    await row.waitFor();
    expect(await row.getAttribute('class')).toContain('error');
    expect(await row.locator('.err-mark').count()).toBe(1);
    expect(await page.getByTestId('trace-state').textContent()).toBe('Error');
    const exception = page.locator('.exception');
    expect(await exception.locator('.ex-title').textContent()).toBe('ValueError: no answer for Lima');
    expect(await exception.locator('.stack').textContent()).toContain('raise ValueError("no answer for " + x)');
    await screenshot(page, 'trace-view-error-dark');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('reads a large input whole on demand and shows it', async () => {
    const { spans } = await served.api.call('traces.spans', { traceId: made.large });
    // The list of spans cut it short: the window has to ask for it.
    expect(spans[0]!.truncated).toContain('mlflow.spanInputs');
    const { page, problems } = await open(`#/traces/${made.large}`);
    const inputs = page.locator('article.span-details').getByRole('group', { name: 'Inputs as JSON' });
    await inputs.getByText('THE-END', { exact: false }).waitFor();
    const shown = (await inputs.locator('.v.string').textContent())!;
    expect(JSON.parse(shown)).toHaveLength(made.largeLength);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows the feedback the client logged with its source and rationale, and saves an edit made in the window', async () => {
    const { page, problems } = await open(`#/traces/${made.nested}`);
    const item = page.locator(`[data-assessment-id="${made.feedbackId}"]`);
    await item.waitFor();
    expect(await item.locator('.aname').textContent()).toBe('helpful');
    expect(await item.locator('.value').textContent()).toBe('true');
    expect(await item.locator('.rationale').textContent()).toBe('named the right city');
    expect(await item.locator('.source').textContent()).toContain('by person alice');
    await item.getByRole('button', { name: 'Edit assessment helpful' }).click();
    await item.getByLabel('Value of helpful').fill('0.75');
    await item.getByLabel('Rationale of helpful').fill('mostly right');
    await item.getByRole('button', { name: 'Save' }).click();
    await item.locator('.rationale', { hasText: 'mostly right' }).waitFor();
    const { assessment } = await served.api.call('traces.getAssessment', { traceId: made.nested, assessmentId: made.feedbackId });
    expect(assessment).toMatchObject({ feedback: { value: 0.75 }, rationale: 'mostly right', source: { sourceType: 'HUMAN', sourceId: 'alice' } });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('adds feedback in the window that the API reads back, and deletes it', async () => {
    const { page, problems } = await open(`#/traces/${made.other}`);
    const form = page.getByRole('form', { name: 'Add feedback' });
    await form.getByLabel('Name').fill('latency-ok');
    await form.getByLabel('Kind').selectOption('number');
    await form.getByLabel('Value').fill('4');
    await form.getByLabel('Rationale').fill('fast enough');
    await form.getByRole('button', { name: 'Add feedback' }).click();
    const item = page.locator('.assessment', { hasText: 'latency-ok' });
    await item.waitFor();
    const { trace } = await served.api.call('traces.get', { traceId: made.other });
    expect(trace.assessments.map((a) => [a.name, a.feedback?.value, a.rationale, a.source.sourceType])).toEqual([['latency-ok', 4, 'fast enough', 'HUMAN']]);
    await item.getByRole('button', { name: 'Delete assessment latency-ok' }).click();
    await item.waitFor({ state: 'detached' });
    expect((await served.api.call('traces.get', { traceId: made.other })).trace.assessments).toEqual([]);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('adds, edits and deletes a tag in the window, as the API reads back', async () => {
    const { page, problems } = await open(`#/traces/${made.other}`);
    await page.getByLabel('New tag key').fill('reviewer');
    await page.getByLabel('New tag value').fill('bob');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await page.getByRole('button', { name: 'Edit tag reviewer' }).waitFor();
    expect((await served.api.call('traces.get', { traceId: made.other })).trace.tags.reviewer).toBe('bob');
    await page.getByRole('button', { name: 'Edit tag reviewer' }).click();
    await page.getByLabel('Value of reviewer').fill('carol');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('cell', { name: 'carol' }).waitFor();
    expect((await served.api.call('traces.get', { traceId: made.other })).trace.tags.reviewer).toBe('carol');
    await page.getByRole('button', { name: 'Delete tag reviewer' }).click();
    await page.getByRole('button', { name: 'Edit tag reviewer' }).waitFor({ state: 'detached' });
    expect((await served.api.call('traces.get', { traceId: made.other })).trace.tags.reviewer).toBeUndefined();
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('says so when no trace has the id', async () => {
    const { page } = await openPage(browser);
    await page.goto(`${served.url}/#/traces/tr-00000000000000000000000000000000`);
    await page.getByRole('heading', { name: 'This trace could not be opened' }).waitFor();
    expect(await page.getByTestId('trace-error').textContent()).toContain('tr-00000000000000000000000000000000');
    await page.context().close();
  });

  it('compares two traces side by side, marking the outputs that differ and diffing them', async () => {
    const { page, problems } = await open(`#/traces/compare?a=${made.nested}&b=${made.other}`);
    const table = page.getByRole('table', { name: 'Spans of both traces, aligned' });
    await table.locator('tbody tr').nth(2).waitFor();
    expect(await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')))).toEqual(['answer', 'answer/chat', 'answer/lookup']);
    const lookup = table.locator('tr[data-path="answer/lookup"]');
    expect(await lookup.locator('.mark').allTextContents()).toEqual(expect.arrayContaining(['inputs', 'outputs']));
    await lookup.getByRole('button', { name: 'lookup' }).click();
    const diff = page.getByLabel('Outputs diff');
    expect(await diff.locator('.line.removed').allTextContents()).toEqual(['−  "city": "Paris",', '−  "temp": 21.5']);
    expect(await diff.locator('.line.added').allTextContents()).toEqual(['+  "city": "Oslo",', '+  "temp": 9']);
    await screenshot(page, 'trace-compare-light');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('asks for two traces when the compare link names none', async () => {
    const { page } = await open('#/traces/compare');
    expect(await page.getByTestId('trace-error').textContent()).toContain('Choose two traces');
    await page.context().close();
  });
});
