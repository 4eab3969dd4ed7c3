import { describe, expect, it } from 'vitest';
import { NOTIFY_TAG } from '#core/api/settings-contract.ts';
import { startRunNotifier, type RunNotification } from '../../electron/main/run-notifier.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';

/** A real Flowdesk whose clock the test moves, and a notifier listening to it from `since`. */
async function setup(since = 1_000) {
  let now = 500;
  const { fd, api } = await testFlowdesk({ now: () => now });
  const shown: RunNotification[] = [];
  const notifier = startRunNotifier({ events: fd.events, handlers: fd.handlers, notify: (n) => shown.push(n), since, log: () => undefined });
  return { fd, api, shown, notifier, setNow: (t: number) => (now = t) };
}

describe('run notifications', () => {
  it('announces a run that finishes or fails in an experiment that opted in, once', async () => {
    const { api, shown, notifier, setNow } = await setup();
    const { experimentId } = await api.call('experiments.create', { name: 'watched', tags: [{ key: NOTIFY_TAG, value: 'true' }] });
    setNow(2_000);
    const a = (await api.call('runs.create', { experimentId, runName: 'train-a' })).run.info.runId;
    const b = (await api.call('runs.create', { experimentId, runName: 'train-b' })).run.info.runId;
    await api.call('runs.update', { runId: a, status: 'FINISHED', endTime: 3_000 });
    await api.call('runs.update', { runId: b, status: 'FAILED', endTime: 3_000 });
    // A tag set after the end publishes run.updated again; it is not a second ending.
    await api.call('runs.setTag', { runId: a, key: 'note', value: 'x' });
    await notifier.settled();
    expect(shown).toEqual([
      { title: 'Run finished: train-a', body: 'In watched', experimentId, runId: a },
      { title: 'Run failed: train-b', body: 'In watched', experimentId, runId: b },
    ]);
  });

  it('stays quiet for experiments that did not opt in, for running or killed runs, and for runs that ended before the app started', async () => {
    const { api, shown, notifier, setNow } = await setup();
    const quiet = (await api.call('experiments.create', { name: 'quiet' })).experimentId;
    const off = (await api.call('experiments.create', { name: 'off', tags: [{ key: NOTIFY_TAG, value: 'false' }] })).experimentId;
    const watched = (await api.call('experiments.create', { name: 'watched', tags: [{ key: NOTIFY_TAG, value: 'true' }] })).experimentId;
    setNow(2_000);
    for (const experimentId of [quiet, off]) {
      const runId = (await api.call('runs.create', { experimentId })).run.info.runId;
      await api.call('runs.update', { runId, status: 'FINISHED', endTime: 3_000 });
    }
    const running = (await api.call('runs.create', { experimentId: watched })).run.info.runId;
    await api.call('runs.setTag', { runId: running, key: 'k', value: 'v' });
    const killed = (await api.call('runs.create', { experimentId: watched })).run.info.runId;
    await api.call('runs.update', { runId: killed, status: 'KILLED', endTime: 3_000 });
    const old = (await api.call('runs.create', { experimentId: watched })).run.info.runId;
    await api.call('runs.update', { runId: old, status: 'FINISHED', endTime: 900 });
    await notifier.settled();
    expect(shown).toEqual([]);
  });

  it('follows the opt-in as it is switched on and off, and stops when told', async () => {
    const { api, shown, notifier, setNow } = await setup();
    const experimentId = (await api.call('experiments.create', { name: 'toggled' })).experimentId;
    setNow(2_000);
    const first = (await api.call('runs.create', { experimentId, runName: 'one' })).run.info.runId;
    await api.call('runs.update', { runId: first, status: 'FINISHED', endTime: 2_500 });
    await api.call('experiments.setTag', { experimentId, key: NOTIFY_TAG, value: 'true' });
    const second = (await api.call('runs.create', { experimentId, runName: 'two' })).run.info.runId;
    await api.call('runs.update', { runId: second, status: 'FINISHED', endTime: 2_600 });
    await notifier.settled();
    expect(shown.map((n) => n.runId)).toEqual([second]);
    notifier.stop();
    const third = (await api.call('runs.create', { experimentId })).run.info.runId;
    await api.call('runs.update', { runId: third, status: 'FAILED', endTime: 2_700 });
    await notifier.settled();
    expect(shown).toHaveLength(1);
  });
});
