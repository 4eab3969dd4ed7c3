import { describe, expect, it } from 'vitest';
import type { FileInfo, HistoryEntry, ModelVersion, TransitionRequest } from '#core/api/entities.ts';
import { parseFilter } from '#core/search/parse-filter.ts';
import { quoteFilterString } from '../../renderer/src/lib/filter-quote.ts';
import { findModelFolders, WALK_LIMIT } from '../../renderer/src/lib/register-model.ts';
import { boardColumns, columnLabel, concernsModel, pendingFor, planMove } from '../../renderer/src/lib/registry-board.ts';
import { timeline } from '../../renderer/src/lib/registry-timeline.ts';
import { parseRoute, routeHref } from '../../renderer/src/lib/route.ts';

const version = (n: number, stage: ModelVersion['currentStage'], aliases: string[] = []): ModelVersion => ({
  name: 'churn',
  version: n,
  creationTimestamp: 1000 + n,
  lastUpdatedTimestamp: 1000 + n,
  currentStage: stage,
  source: `runs:/r${n}/model`,
  runId: `r${n}`,
  status: 'READY',
  tags: [],
  aliases,
});

const request = (id: string, n: number, kind: 'alias' | 'stage', target: string, status: TransitionRequest['status'] = 'pending', at = 5000): TransitionRequest => ({
  requestId: id,
  name: 'churn',
  version: n,
  kind,
  target,
  archiveExistingVersions: false,
  status,
  requestedBy: 'ana',
  requestedAt: at,
});

describe('board columns', () => {
  const versions = [version(1, 'Production', ['champion']), version(2, 'Staging'), version(3, 'Staging', ['challenger']), version(4, 'None')];
  const aliases = [
    { alias: 'champion', version: 1 },
    { alias: 'challenger', version: 3 },
  ];
  const requests = [request('a', 3, 'stage', 'Production', 'pending', 7000), request('b', 2, 'stage', 'Production', 'pending', 6000), request('c', 2, 'alias', 'gold'), request('d', 4, 'stage', 'Production', 'rejected')];
  const columns = boardColumns(versions, aliases, { aliases: ['production'], stages: ['Production'] }, requests);

  it('has the four stages in order, then one column per alias, protected and requested ones included, by name', () => {
    expect(columns.map(columnLabel)).toEqual(['None', 'Staging', 'Production', 'Archived', '@challenger', '@champion', '@gold', '@production']);
    expect(columns.map((c) => c.protected)).toEqual([false, false, true, false, false, false, false, true]);
  });

  it('puts each version in its stage, newest first, and the version an alias names under it', () => {
    expect(columns.map((c) => c.versions.map((v) => v.version))).toEqual([[4], [3, 2], [1], [], [3], [1], [], []]);
  });

  it('lists only pending requests, under their target, oldest first', () => {
    expect(columns.find((c) => c.target === 'Production')!.pending.map((r) => r.requestId)).toEqual(['b', 'a']);
    expect(columns.find((c) => c.target === 'gold')!.pending.map((r) => r.requestId)).toEqual(['c']);
    expect(columns.filter((c) => c.target !== 'Production' && c.target !== 'gold').every((c) => c.pending.length === 0)).toBe(true);
    expect(pendingFor(requests, 2).map((r) => r.requestId)).toEqual(['c', 'b']);
    expect(pendingFor(requests, 4)).toEqual([]);
  });

  it('moves at once onto an open column, requests onto a protected one, and does nothing where the version already is or is already requested', () => {
    const column = (label: string) => columns.find((c) => columnLabel(c) === label)!;
    expect(planMove(column('Archived'), versions[3]!)).toEqual({ kind: 'apply' });
    expect(planMove(column('@champion'), versions[3]!)).toEqual({ kind: 'apply' });
    expect(planMove(column('Production'), versions[3]!)).toEqual({ kind: 'request' });
    expect(planMove(column('@production'), versions[0]!)).toEqual({ kind: 'request' });
    expect(planMove(column('Staging'), versions[1]!)).toEqual({ kind: 'none', reason: 'Version 2 is already in Staging.' });
    expect(planMove(column('@champion'), versions[0]!)).toEqual({ kind: 'none', reason: 'Version 1 is already at @champion.' });
    expect(planMove(column('Production'), versions[2]!)).toEqual({ kind: 'none', reason: 'A request to move version 3 to Production is already waiting for approval.' });
  });

  it('reloads for its own model only, also across a rename', () => {
    expect(concernsModel({ type: 'registry.changed', name: 'churn', version: 2 }, 'churn')).toBe(true);
    expect(concernsModel({ type: 'registry.changed', name: 'churn-v2', previousName: 'churn' }, 'churn')).toBe(true);
    expect(concernsModel({ type: 'registry.changed', name: 'fraud' }, 'churn')).toBe(false);
    expect(concernsModel({ type: 'registry.request', requestId: '1', name: 'churn', version: 1, status: 'pending' }, 'churn')).toBe(true);
    expect(concernsModel({ type: 'registry.request', requestId: '1', name: 'fraud', version: 1, status: 'pending' }, 'churn')).toBe(false);
    expect(concernsModel({ type: 'run.updated', experimentId: '1', runId: 'r' }, 'churn')).toBe(false);
  });

  it('shows an empty board as four empty stages and the protected aliases', () => {
    const empty = boardColumns([], [], { aliases: ['production'], stages: ['Production'] }, []);
    expect(empty.map((c) => [columnLabel(c), c.versions.length])).toEqual([['None', 0], ['Staging', 0], ['Production', 0], ['Archived', 0], ['@production', 0]]);
  });
});

describe('the history timeline', () => {
  let n = 0;
  const entry = (kind: HistoryEntry['kind'], before: HistoryEntry['before'], after: HistoryEntry['after'], version?: number): HistoryEntry => ({
    entryId: String(++n),
    time: 1000 + n,
    actor: 'ana',
    kind,
    name: 'churn',
    version,
    before,
    after,
  });

  it('tells each kind of change in words, with the comments and what was replaced', () => {
    const entries = [
      entry('model.created', null, { name: 'churn', description: null, tags: [], protection: { aliases: ['production'], stages: ['Production'] } }),
      entry('version.created', null, { source: 'runs:/abc/model', stage: 'None' }, 1),
      entry('stage.transitioned', { stage: 'None' }, { stage: 'Staging' }, 1),
      entry('request.created', null, { requestId: '7', kind: 'stage', target: 'Production', comment: 'AUC 0.91' }, 1),
      entry('request.approved', { requestId: '7', status: 'pending' }, { requestId: '7', status: 'approved', comment: 'Looks good' }, 1),
      entry('request.created', null, { requestId: '8', kind: 'alias', target: 'production', comment: null }, 1),
      entry('request.rejected', { requestId: '8', status: 'pending' }, { requestId: '8', status: 'rejected', comment: null }, 1),
      entry('request.cancelled', { requestId: '9', status: 'pending' }, { requestId: '9', status: 'cancelled', comment: null }, 2),
      entry('alias.set', null, { alias: 'champion', version: 1 }, 1),
      entry('alias.moved', { alias: 'champion', version: 1 }, { alias: 'champion', version: 2 }, 2),
      entry('alias.deleted', { alias: 'champion', version: 2 }, null, 2),
      entry('model.renamed', { name: 'churn-old' }, { name: 'churn' }),
      entry('model.described', { description: '' }, { description: 'Nightly **churn** model' }),
      entry('version.described', { description: 'x' }, { description: '' }, 1),
      entry('model.tagSet', { key: 'team', value: 'risk' }, { key: 'team', value: 'growth' }),
      entry('version.tagSet', null, { key: 'validated', value: 'yes' }, 1),
      entry('model.tagDeleted', { key: 'team', value: 'growth' }, null),
      entry('version.tagDeleted', { key: 'validated', value: 'yes' }, null, 1),
      entry('model.protectionChanged', { aliases: ['production'], stages: ['Production'] }, { aliases: [], stages: [] }),
      entry('version.deleted', { source: 'runs:/abc/model' }, null, 2),
      entry('model.deleted', { name: 'churn' }, null),
    ];
    expect(timeline(entries).map((i) => [i.title, i.comment, i.detail, i.tone])).toEqual([
      ['Model churn created', undefined, 'Protected: Production, @production', 'create'],
      ['Version 1 registered', undefined, 'from runs:/abc/model', 'create'],
      ['Version 1 moved from None to Staging', undefined, undefined, 'move'],
      ['Version 1 requested for Production', 'AUC 0.91', undefined, 'request'],
      ['Request for Production approved (version 1)', 'Looks good', undefined, 'approved'],
      ['Version 1 requested for @production', undefined, undefined, 'request'],
      ['Request for @production rejected (version 1)', undefined, undefined, 'rejected'],
      // Its request was made before the history that was read: the target is not known.
      ['Request for a protected target cancelled (version 2)', undefined, undefined, 'delete'],
      ['@champion set to version 1', undefined, undefined, 'move'],
      ['@champion moved from version 1 to version 2', undefined, undefined, 'move'],
      ['@champion removed from version 2', undefined, undefined, 'delete'],
      ['Renamed from churn-old to churn', undefined, undefined, 'edit'],
      ['Model description changed', undefined, 'Nightly **churn** model', 'edit'],
      ['Version 1 description changed', undefined, 'Description cleared', 'edit'],
      ['Model tag team set to “growth”', undefined, 'was “risk”', 'edit'],
      ['Version 1 tag validated set to “yes”', undefined, undefined, 'edit'],
      ['Model tag team deleted', undefined, 'was “growth”', 'delete'],
      ['Version 1 tag validated deleted', undefined, 'was “yes”', 'delete'],
      ['Protected targets set to nothing', undefined, 'were Production, @production', 'edit'],
      ['Version 2 deleted', undefined, undefined, 'delete'],
      ['Model churn deleted', undefined, undefined, 'delete'],
    ]);
  });
});

describe('what a run offers to register', () => {
  /** A run's artifact tree as artifacts.list answers it, one folder at a time. */
  const tree: Record<string, FileInfo[]> = {
    '': [
      { path: 'plots', isDir: true },
      { path: 'model', isDir: true },
      { path: 'metrics.json', isDir: false, fileSize: 10 },
    ],
    model: [
      { path: 'model/MLmodel', isDir: false, fileSize: 100 },
      { path: 'model/model.pkl', isDir: false, fileSize: 900 },
    ],
    plots: [{ path: 'plots/extra', isDir: true }],
    'plots/extra': [{ path: 'plots/extra/deep', isDir: true }],
    'plots/extra/deep': [
      { path: 'plots/extra/deep/MLmodel', isDir: false },
      { path: 'plots/extra/deep/deeper', isDir: true },
    ],
    'plots/extra/deep/deeper': [{ path: 'plots/extra/deep/deeper/MLmodel', isDir: false }],
  };

  it('lists folders three levels deep, those with an MLmodel file first', async () => {
    const listed: (string | undefined)[] = [];
    const found = await findModelFolders(async (path) => {
      listed.push(path);
      return tree[path ?? '']!;
    });
    expect(found.map((f) => [f.path, f.hasMLmodel])).toEqual([
      ['model', true],
      ['plots/extra/deep', true],
      ['plots', false],
      ['plots/extra', false],
    ]);
    expect(listed).not.toContain('plots/extra/deep/deeper');
  });

  it('names nested folders by their path from the root when listings name children relative to their folder', async () => {
    const relative: Record<string, FileInfo[]> = {
      '': [{ path: 'model', isDir: true }],
      model: [{ path: 'MLmodel', isDir: false }, { path: 'data', isDir: true }],
      'model/data': [{ path: 'MLmodel', isDir: false }],
    };
    const listed: (string | undefined)[] = [];
    const found = await findModelFolders(async (path) => {
      listed.push(path);
      return relative[path ?? '']!;
    });
    expect(found.map((f) => [f.path, f.depth, f.hasMLmodel])).toEqual([
      ['model', 0, true],
      ['model/data', 1, true],
    ]);
    expect(listed).toEqual([undefined, 'model', 'model/data']);
  });

  it('stops after a bounded number of listings on a huge tree', async () => {
    let listings = 0;
    const found = await findModelFolders(async (path) => {
      listings++;
      return Array.from({ length: 50 }, (_, i) => ({ path: `${path === undefined ? '' : `${path}/`}d${i}`, isDir: true }));
    });
    expect(listings).toBe(WALK_LIMIT);
    expect(found).toHaveLength(WALK_LIMIT - 1);
  });
});

describe('registry routes and filters', () => {
  it('reads and writes the models, board and version routes, names escaped', () => {
    expect(parseRoute('#/models')).toEqual({ view: 'models' });
    expect(parseRoute('#/models/churn%20model')).toEqual({ view: 'model', name: 'churn model' });
    expect(parseRoute('#/models/a%3Cb%3E/versions/12')).toEqual({ view: 'version', name: 'a<b>', version: 12 });
    expect(parseRoute('#/models/x/versions/0')).toEqual({ view: 'not-found', path: '/models/x/versions/0' });
    expect(parseRoute('#/models/%E0%A4%A')).toEqual({ view: 'not-found', path: '/models/%E0%A4%A' });
    for (const route of [{ view: 'models' }, { view: 'model', name: "it's #1 ?" }, { view: 'version', name: '<img src=x>', version: 3 }] as const) {
      expect(parseRoute(routeHref(route))).toEqual(route);
    }
  });

  it('quotes a string so the query language reads it back unchanged', () => {
    for (const value of ['plain', "it's", 'back\\slash', "\\'", '']) {
      const node = parseFilter(`name = ${quoteFilterString(value)}`);
      expect(node).toMatchObject({ values: [{ kind: 'string', value }] });
    }
  });
});
