/**
 * `use:dropTarget={target}` makes an element take dropped files into a run (or a new run of an
 * experiment), highlighted while files are dragged over it. The document itself refuses drops
 * (main.ts), so a file dropped anywhere else never navigates the window.
 */
import type { ImportTarget } from '#core/api/desktop-contract.ts';
import { importDropped } from './imports.svelte.ts';

const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;

export function dropTarget(node: HTMLElement, initial: ImportTarget) {
  let target = initial;
  // dragenter/dragleave fire for every child crossed; a depth count tells when the pointer left.
  let depth = 0;
  const set = (active: boolean) => node.classList.toggle('drop-active', active);

  const enter = (event: DragEvent) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth++;
    set(true);
  };
  const over = (event: DragEvent) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer!.dropEffect = 'copy';
  };
  const leave = () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) set(false);
  };
  const drop = (event: DragEvent) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.stopPropagation();
    depth = 0;
    set(false);
    void importDropped(event.dataTransfer!, target);
  };
  node.addEventListener('dragenter', enter);
  node.addEventListener('dragover', over);
  node.addEventListener('dragleave', leave);
  node.addEventListener('drop', drop);
  return {
    update(next: ImportTarget) {
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
