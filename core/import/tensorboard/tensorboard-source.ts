/**
 * TensorBoard event files as an import source: a folder of runs, as TensorBoard, PyTorch, Keras,
 * JAX and tensorboardX write them, becomes one experiment (named after the folder).
 *
 * Which folders are runs (TensorBoard's own rule): every folder holding `*tfevents*` files is one
 * run, its event files read in name order (which is the order they were written). Nested folders:
 * - a run's name is its path relative to the chosen folder (`lightning_logs/version_0`), or the
 *   chosen folder's own name when the events lie in it directly;
 * - a run folder below another run folder (tensorboardX and PyTorch put `add_hparams` sessions in
 *   a subfolder of the run's) becomes a child run of the nearest one above it (`mlflow.parentRunId`);
 * - a run folder whose folders above hold no events is a top-level run, tagged
 *   `tensorboard.group` with the folders above it (`lightning_logs`), so such a group can be
 *   filtered on; every run is tagged `tensorboard.path` with its relative path.
 * Symbolic links are not followed (reported), so the walk stays inside the chosen folder.
 *
 * Run ids are stable: derived from the run's relative path and the wall time of its first event
 * (written when its writer opened, to the microsecond), so importing the same folder again finds
 * the same runs, and a run that kept writing gets its new points, not a second run.
 *
 * What each run holds: scalars (`simple_value`, and one-element float/double/int tensors as TF2
 * and PyTorch write them) as metric histories with their steps and wall times; the HParams plugin's
 * session start as params (its session end sets the status and end time; its metrics are scalars
 * and arrive as such); text summaries as `tensorboard/text/<tag>.md`, one section per step; images
 * as `tensorboard/images/<tag>/<step>.png`. Histograms, audio, graphs and other plugins' data are
 * not imported, and each run reports which it left out. Damaged files: see tfrecord-reader.ts; a
 * record that is intact but not a readable event is skipped and reported.
 *
 * Each run's files are read twice, streaming: once before the run is handed over (params, times,
 * artifacts and problems must be known first), once for its metric points.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { lstat, readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Metric, Param, RunStatus, Tag } from '#core/api/entities.ts';
import { invalid } from '#core/api/errors.ts';
import { LIMITS, validateKey } from '#core/tracking/validation.ts';
import type { ImportSource, SourceArtifact, SourceExperiment, SourceOptions, SourceRun } from '../import-source.ts';
import { decodeEvent, decodeHParams, tensorScalar, tensorStrings, type DecodedEvent, type DecodedValue } from './event-decoder.ts';
import { readTfRecordAt, readTfRecords, type TfRecordBatch } from './tfrecord-reader.ts';

/** TensorBoard's own test for an event file: the name contains `tfevents`. */
const isEventFile = (name: string) => name.includes('tfevents');

/** The one experiment's id in this source. */
const EXPERIMENT_ID = 'tensorboard';

/** Metric points handed over per batch: the size of one logBatch. */
const BATCH = LIMITS.batchMetrics;

/** A folder holding event files. */
interface RunFolder {
  /** Relative to the chosen folder, '/'-separated; '.' for the chosen folder itself. */
  rel: string;
  dir: string;
  /** Event file names, in the order they were written. */
  files: string[];
}

/**
 * Opens a folder of TensorBoard runs for import. Throws INVALID_PARAMETER_VALUE when the path is
 * not a folder or no event files lie in it or below it, saying what was expected.
 */
export async function openTensorBoardSource(folder: string, options: SourceOptions): Promise<ImportSource> {
  const root = resolve(folder);
  const stat = await lstat(root).catch(() => undefined);
  if (!stat?.isDirectory()) throw invalid(`${root} is not a folder: expected a folder of TensorBoard logs (files named events.out.tfevents.*)`);
  const folders: RunFolder[] = [];
  await walk(root, '.', folders, options);
  if (folders.length === 0) {
    throw invalid(
      `${root} holds no TensorBoard event files: expected files named events.out.tfevents.* (as TensorBoard, PyTorch, Keras and tensorboardX write them) in it or in its subfolders`,
    );
  }
  folders.sort((a, b) => (a.rel === '.' ? -1 : b.rel === '.' ? 1 : a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const rootName = basename(root) || root;
  const experiment: SourceExperiment = { sourceId: EXPERIMENT_ID, name: rootName, lifecycleStage: 'active', tags: [] };

  return {
    describe: `TensorBoard logs ${root}`,
    async *experiments() {
      yield experiment;
    },
    async *runs(which) {
      if (which.sourceId !== EXPERIMENT_ID) return;
      const ids = new Map<string, string>();
      for (const runFolder of folders) {
        const run = await scanRun(runFolder, rootName, ids, options);
        ids.set(runFolder.rel, run.runId);
        yield run;
      }
    },
  };
}

/** Finds the run folders at and below `dir`, without following symbolic links. */
async function walk(dir: string, rel: string, out: RunFolder[], options: SourceOptions): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    options.onProblem({ where: dir, message: `the folder could not be read (${err.code ?? err.message}); it was skipped` });
    return [];
  });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files = entries.filter((e) => e.isFile() && isEventFile(e.name)).map((e) => e.name);
  if (files.length > 0) out.push({ rel, dir, files });
  for (const entry of entries) {
    const childRel = rel === '.' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isSymbolicLink()) options.onProblem({ where: join(dir, entry.name), message: 'a symbolic link; not followed, so the import stays inside the chosen folder' });
    else if (entry.isDirectory()) await walk(join(dir, entry.name), childRel, out, options);
  }
}

/** What a value of a summary is, for the import. */
type Kind = 'scalar' | 'text' | 'image' | 'image-tensor' | 'hparams' | 'skip' | `other:${string}`;

/**
 * Classifies a summary value. TensorFlow writes a tag's plugin metadata with its first value only,
 * so the plugin of each tag seen so far is remembered in `plugins` (both passes see the same values
 * in the same order, and so classify alike).
 */
function classify(value: DecodedValue, plugins: Map<string, string>): Kind {
  if (value.pluginName !== undefined) plugins.set(value.tag, value.pluginName);
  const plugin = plugins.get(value.tag) ?? '';
  if (plugin === 'hparams') return 'hparams';
  if (value.simpleValue !== undefined) return 'scalar';
  if (value.image) return 'image';
  if (value.other) return `other:${value.other === 'histogram' ? 'histograms' : 'audio'}`;
  if (value.tensor) {
    if (plugin === 'text') return 'text';
    if (plugin === 'images') return 'image-tensor';
    if ((plugin === 'scalars' || plugin === '') && tensorScalar(value.tensor) !== undefined) return 'scalar';
    return `other:${plugin || 'tensors'}`;
  }
  return 'skip';
}

/** The number of a value classified 'scalar'. */
const scalarOf = (value: DecodedValue): number => value.simpleValue ?? tensorScalar(value.tensor!)!;

/** Milliseconds since the epoch for an event's wall time in seconds (never negative). */
const ms = (seconds: number) => Math.max(0, Math.round(seconds * 1000));

/** Where an artifact's bytes lie: a value of the record at `offset` of `file`. */
interface Locator {
  file: string;
  offset: number;
  valueIndex: number;
  step: number;
  wallTime: number;
}

/** An image: one value of a record (a `Summary.Image`, or element `imageIndex` of an images-plugin tensor). */
interface ImageAt extends Locator {
  path: string;
  bytes: number;
  imageIndex: number;
}

/** A '/'-separated artifact path from a tag: characters outside a portable set become '_', and no segment is empty, '.' or '..'. */
function tagPath(tag: string): string {
  return tag
    .split('/')
    .map((segment) => {
      const s = segment.replace(/[^\p{L}\p{N}_.\- ]/gu, '_');
      return s === '' || s === '.' || s === '..' ? '_' : s;
    })
    .join('/');
}

/** An image's file extension from its first bytes, or undefined when it is none TensorBoard writes. */
function imageExtension(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpg';
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return 'gif';
  return undefined;
}

/** The Markdown section for one text value: its step, its time, its text. */
function textSection(step: number, wallTime: number, strings: string[]): string {
  return `## Step ${step} (${new Date(ms(wallTime)).toISOString()})\n\n${strings.join('\n\n')}\n\n`;
}

/** A metric key TensorBoard allowed and MLflow's rules do not is left out (reported once by the first pass). */
function keyProblem(tag: string): string | undefined {
  try {
    validateKey('metric', tag);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Yields the record batches of a run's files in order, with the file each came from; `onProblem`
 * gets the framing problems.
 */
async function* recordBatches(run: RunFolder, onProblem?: (where: string, message: string) => void): AsyncGenerator<{ file: string; batch: TfRecordBatch }> {
  for (const name of run.files) {
    const file = join(run.dir, name);
    for await (const batch of readTfRecords(file, (p) => onProblem?.(`${file} at byte ${p.offset}`, p.message))) yield { file, batch };
  }
}

/** Decodes record `i` of a batch; a record that is intact but no event is reported and skipped (undefined). */
function eventAt(file: string, batch: TfRecordBatch, i: number, onProblem?: (where: string, message: string) => void): DecodedEvent | undefined {
  try {
    return decodeEvent(batch.bytes, batch.starts[i], batch.ends[i], batch.view);
  } catch (err) {
    onProblem?.(`${file} at byte ${batch.offsets[i]}`, `the record is intact but not a readable event (${(err as Error).message}); skipped`);
    return undefined;
  }
}

/** Reads a run's files once for what must be known before its points: params, times, artifacts, problems. */
async function scanRun(run: RunFolder, rootName: string, ids: Map<string, string>, options: SourceOptions): Promise<SourceRun> {
  const report = (where: string, message: string) => options.onProblem({ where, message });
  const plugins = new Map<string, string>();
  const params = new Map<string, string>();
  const texts = new Map<string, Locator[]>();
  const textBytes = new Map<string, number>();
  const images: ImageAt[] = [];
  const imagePaths = new Set<string>();
  const leftOut = new Map<string, Set<string>>();
  const badKeys = new Set<string>();
  const goodKeys = new Set<string>();
  let firstWallTime: number | undefined;
  let minWall = Infinity;
  let maxWall = -Infinity;
  let hparamsStart: number | undefined;
  let hparamsEnd: number | undefined;
  let endStatus: number | undefined;

  const addImage = (loc: Locator, imageIndex: number, tag: string, bytes: Uint8Array) => {
    const ext = imageExtension(bytes);
    if (!ext) {
      report(`${loc.file} at byte ${loc.offset}`, `image '${tag}' at step ${loc.step} is in no format TensorBoard writes (PNG, JPEG, GIF); skipped`);
      return;
    }
    const base = `tensorboard/images/${tagPath(tag)}/${loc.step}`;
    let path = `${base}.${ext}`;
    for (let n = 2; imagePaths.has(path); n++) path = `${base}-${n}.${ext}`;
    imagePaths.add(path);
    images.push({ ...loc, path, bytes: bytes.length, imageIndex });
  };

  for await (const { file, batch } of recordBatches(run, report)) {
    for (let i = 0; i < batch.count; i++) {
      const event = eventAt(file, batch, i, report);
      if (!event) continue;
      const offset = batch.offsets[i]!;
      if (firstWallTime === undefined) firstWallTime = event.wallTime;
      if (event.wallTime > 0) {
        minWall = Math.min(minWall, event.wallTime);
        maxWall = Math.max(maxWall, event.wallTime);
      }
      if (event.graph) (leftOut.get('graphs') ?? leftOut.set('graphs', new Set()).get('graphs')!).add('');
      if (!event.values) continue;
      for (let valueIndex = 0; valueIndex < event.values.length; valueIndex++) {
        const value = event.values[valueIndex]!;
        const kind = classify(value, plugins);
        if (kind === 'scalar') {
          if (!goodKeys.has(value.tag) && !badKeys.has(value.tag)) {
            const problem = keyProblem(value.tag);
            if (problem) {
              badKeys.add(value.tag);
              report(file, `scalar '${value.tag}' was left out: ${problem}`);
            } else goodKeys.add(value.tag);
          }
          continue;
        }
        const loc: Locator = { file, offset, valueIndex, step: event.step, wallTime: event.wallTime };
        if (kind === 'hparams' && value.pluginContent) {
          const data = decodeHParams(value.pluginContent);
          for (const { key, value: v } of data.hparams ?? []) params.set(key, v);
          if (data.startTimeSecs) hparamsStart = data.startTimeSecs;
          if (data.endTimeSecs) hparamsEnd = data.endTimeSecs;
          if (data.endStatus !== undefined) endStatus = data.endStatus;
        } else if (kind === 'text') {
          const strings = tensorStrings(value.tensor!) ?? [];
          const list = texts.get(value.tag) ?? texts.set(value.tag, []).get(value.tag)!;
          list.push(loc);
          textBytes.set(value.tag, (textBytes.get(value.tag) ?? 0) + Buffer.byteLength(textSection(event.step, event.wallTime, strings)));
        } else if (kind === 'image' && value.image) {
          addImage(loc, -1, value.tag, value.image);
        } else if (kind === 'image-tensor') {
          // The images plugin's tensor: width, height, then one encoded image per element.
          value.tensor!.strings.slice(2).forEach((bytes, i) => addImage(loc, i, value.tag, bytes));
        } else if (kind.startsWith('other:')) {
          const what = kind.slice('other:'.length);
          (leftOut.get(what) ?? leftOut.set(what, new Set()).get(what)!).add(value.tag);
        }
      }
    }
  }

  if (leftOut.size > 0) {
    const parts = [...leftOut].map(([what, tags]) => {
      const named = [...tags].filter(Boolean);
      return named.length > 0 ? `${what} (${named.slice(0, 5).join(', ')}${named.length > 5 ? `, and ${named.length - 5} more` : ''})` : what;
    });
    report(run.dir, `not imported, Flowdesk has no place for them: ${parts.join('; ')}`);
  }

  // The nearest folder above that is a run is the parent; without one, the folders above name a group.
  let parentId: string | undefined;
  let group: string | undefined;
  if (run.rel !== '.') {
    const segments = run.rel.split('/');
    for (let n = segments.length - 1; n >= 0 && parentId === undefined; n--) parentId = ids.get(n === 0 ? '.' : segments.slice(0, n).join('/'));
    if (parentId === undefined && segments.length > 1) group = segments.slice(0, -1).join('/');
  }
  const tags: Tag[] = [{ key: 'tensorboard.path', value: run.rel }];
  if (parentId) tags.push({ key: 'mlflow.parentRunId', value: parentId });
  if (group) tags.push({ key: 'tensorboard.group', value: group });

  const identity = `${run.rel}\n${firstWallTime ?? run.files[0]}`;
  const runId = createHash('sha256').update(identity).digest('hex').slice(0, 32);
  const status: RunStatus = endStatus === 2 ? 'FAILED' : 'FINISHED';
  const runName = (run.rel === '.' ? rootName : run.rel).slice(0, LIMITS.runName);
  const startSecs = hparamsStart ?? (Number.isFinite(minWall) ? minWall : undefined);
  const endSecs = hparamsEnd ?? (Number.isFinite(maxWall) ? maxWall : undefined);

  const artifacts: SourceArtifact[] = [
    ...[...texts].map(([tag, locators]): SourceArtifact => ({
      path: `tensorboard/text/${tagPath(tag)}.md`,
      bytes: textBytes.get(tag)!,
      open: async () => Readable.from(textChunks(locators)),
    })),
    ...images.map(
      (image): SourceArtifact => ({
        path: image.path,
        bytes: image.bytes,
        open: async () => Readable.from([await imageBytes(image)]),
      }),
    ),
  ];

  return {
    runId,
    experimentSourceId: EXPERIMENT_ID,
    runName,
    status,
    startTime: startSecs === undefined ? undefined : ms(startSecs),
    endTime: endSecs === undefined ? undefined : ms(endSecs),
    lifecycleStage: 'active',
    params: [...params].map(([key, value]): Param => ({ key, value })),
    tags,
    inputs: [],
    metrics: () => metricBatches(run, badKeys),
    async *artifacts() {
      yield* artifacts;
    },
  };
}

/** The run's scalar points, in the order they were written, in batches of one logBatch. */
async function* metricBatches(run: RunFolder, badKeys: Set<string>): AsyncGenerator<Metric[]> {
  const plugins = new Map<string, string>();
  let batch: Metric[] = [];
  for await (const { file, batch: records } of recordBatches(run)) {
    for (let i = 0; i < records.count; i++) {
      const event = eventAt(file, records, i);
      if (!event?.values) continue;
      for (const value of event.values) {
        if (classify(value, plugins) !== 'scalar' || badKeys.has(value.tag)) continue;
        batch.push({ key: value.tag, value: scalarOf(value), timestamp: ms(event.wallTime), step: event.step });
        if (batch.length === BATCH) {
          yield batch;
          batch = [];
        }
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** Re-reads the value a locator points at (the first pass kept only where it was). */
async function valueAt(loc: Locator): Promise<DecodedValue> {
  const value = decodeEvent(await readTfRecordAt(loc.file, loc.offset)).values?.[loc.valueIndex];
  if (!value) throw new Error(`${loc.file}: the record at byte ${loc.offset} changed since it was read`);
  return value;
}

async function imageBytes(image: ImageAt): Promise<Uint8Array> {
  const value = await valueAt(image);
  const bytes = image.imageIndex < 0 ? value.image : value.tensor?.strings[image.imageIndex + 2];
  if (!bytes || bytes.length !== image.bytes) throw new Error(`${image.file}: the record at byte ${image.offset} changed since it was read`);
  return bytes;
}

/** A text tag's Markdown, one step's section at a time. */
async function* textChunks(locators: Locator[]): AsyncGenerator<Buffer> {
  for (const loc of locators) {
    const value = await valueAt(loc);
    yield Buffer.from(textSection(loc.step, loc.wallTime, (value.tensor && tensorStrings(value.tensor)) ?? []));
  }
}
