/**
 * `use:dropTarget={target}` makes an element take dropped files into a run (or a new run of an
 * experiment), highlighted while files are dragged over it; with `'data'` (the window's shell) a
 * dropped folder is imported as other tools' data (an mlruns/ folder, TensorBoard logs). Targets
 * nest: an element inside another target leaves its drops to that one. The document itself
 * refuses drops (main.ts), so a file dropped anywhere else never navigates the window.
 */
import type { ImportTarget } from '#core/api/desktop-contract.ts';
import { dataImports } from '#renderer/state/data-imports.svelte.ts';
import { importDropped } from '#renderer/state/imports.svelte.ts';

/** Where a drop goes: files into a run, or a folder imported as data. */
export type DropTarget = ImportTarget | 'data';

const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;

/** Makes `node` take drops into `initial` (see above). */
export function dropTarget(node: HTMLElement, initial: DropTarget) {
  let target = initial;
  node.dataset.dropTarget = '';
  // An event inside a nested target is that target's: this one neither lights up nor takes it.
  const mine = (event: DragEvent) => carriesFiles(event) && (event.target as Element | null)?.closest?.('[data-drop-target]') === node;
  // dragenter/dragleave fire for every child crossed; a depth count tells when the pointer left.
  let depth = 0;
  const set = (active: boolean) => node.classList.toggle('drop-active', active);

  const enter = (event: DragEvent) => {
    if (!mine(event)) return;
    event.preventDefault();
    depth++;
    set(true);
  };
  const over = (event: DragEvent) => {
    if (!mine(event)) return;
    event.preventDefault();
    event.dataTransfer!.dropEffect = 'copy';
  };
  const leave = (event: DragEvent) => {
    if (!mine(event)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) set(false);
  };
  const drop = (event: DragEvent) => {
    if (!mine(event)) return;
    event.preventDefault();
    event.stopPropagation();
    depth = 0;
    set(false);
    if (target === 'data') void dataImports.startDropped(event.dataTransfer!);
    else void importDropped(event.dataTransfer!, target);
  };
  node.addEventListener('dragenter', enter);
  node.addEventListener('dragover', over);
  node.addEventListener('dragleave', leave);
  node.addEventListener('drop', drop);
  return {
    update(next: DropTarget) {
      target = next;
    },
    destroy() {
      node.removeEventListener('dragenter', enter);
      node.removeEventListener('dragover', over);
      node.removeEventListener('dragleave', leave);
      node.removeEventListener('drop', drop);
    },
  };
}
