/**
 * The width text takes when drawn in a font, measured on a canvas that is never shown: what a
 * column needs to show its header and values whole, without laying out every cell.
 */
let context: CanvasRenderingContext2D | null | undefined;

/** The width in CSS pixels of `text` in `font` (a CSS font shorthand); 0 where no canvas can measure. */
export function textWidth(text: string, font: string): number {
  context ??= document.createElement('canvas').getContext('2d');
  if (!context) return 0;
  context.font = font;
  return context.measureText(text).width;
}
