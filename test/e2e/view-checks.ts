/**
 * Guard rails for any view of the window, run in the page as it stands: the shell never scrolls
 * (only its panes do), no heading, header cell, button or label is clipped without a way to read
 * its full text, no short word in one is broken across lines, text and controls meet the WCAG
 * contrast (4.5:1 text, 3:1 large text and the edges that make a control visible), and focus is
 * drawn visibly. `checkView` returns what it found as sentences naming the element, so a failing
 * test says which element on which view is wrong; an empty list means the view passed.
 */
import type { Page } from 'playwright-core';

/** One finding: which rule, and the element it is about. */
export interface ViewProblem {
  rule: 'shell-scrolls' | 'clipped' | 'broken-word' | 'text-contrast' | 'control-contrast' | 'focus-invisible';
  detail: string;
}

/**
 * Scrolls every scrollable pane (and the document) to its end, then reports the document when it
 * is taller or wider than the window or was scrolled: the blank screen past the shell.
 */
export async function checkShellDoesNotScroll(page: Page): Promise<ViewProblem[]> {
  const found = await page.evaluate<{ scrollHeight: number; scrollWidth: number; innerHeight: number; innerWidth: number; scrollY: number; scrollX: number }>(`(() => {
    for (const el of document.querySelectorAll('body *')) {
      if (el.scrollHeight > el.clientHeight && /auto|scroll/.test(getComputedStyle(el).overflowY)) el.scrollTop = el.scrollHeight;
    }
    window.scrollTo(0, document.documentElement.scrollHeight);
    const root = document.scrollingElement ?? document.documentElement;
    return { scrollHeight: root.scrollHeight, scrollWidth: root.scrollWidth, innerHeight, innerWidth, scrollY, scrollX };
  })()`);
  const problems: ViewProblem[] = [];
  if (found.scrollHeight > found.innerHeight || found.scrollY !== 0) {
    problems.push({ rule: 'shell-scrolls', detail: `the document is ${found.scrollHeight}px tall in a ${found.innerHeight}px window (scrolled to ${found.scrollY}px) after scrolling the panes to the bottom` });
  }
  if (found.scrollWidth > found.innerWidth || found.scrollX !== 0) {
    problems.push({ rule: 'shell-scrolls', detail: `the document is ${found.scrollWidth}px wide in a ${found.innerWidth}px window` });
  }
  return problems;
}

/**
 * The in-page half of `checkTextAndContrast`, as plain JavaScript: it runs in the page, whose DOM
 * types the Node test project does not load, and a string keeps the test runner's transforms
 * (helper names it injects) out of code that runs where they do not exist.
 */
const IN_PAGE_TEXT_AND_CONTRAST = `
    const problems = [];
    const canvas = document.createElement('canvas').getContext('2d');

    /** Any CSS colour as [r, g, b, a] (0-255, alpha 0-1), through the canvas so every syntax resolves. */
    const parse = (color) => {
      canvas.fillStyle = '#000';
      canvas.fillStyle = color;
      const value = canvas.fillStyle;
      if (value.startsWith('#')) return [parseInt(value.slice(1, 3), 16), parseInt(value.slice(3, 5), 16), parseInt(value.slice(5, 7), 16), 1];
      const parts = /rgba?\\(([^)]+)\\)/.exec(value)?.[1]?.split(',').map(Number) ?? [0, 0, 0, 0];
      return [parts[0], parts[1], parts[2], parts[3] ?? 1];
    };
    const over = (top, bottom) => {
      const a = top[3];
      return [top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a), 1];
    };
    const luminance = (c) => {
      const [r, g, b] = c.slice(0, 3).map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a, b) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi + 0.05) / (lo + 0.05);
    };
    /** The opaque colour painted behind an element: its own and its ancestors' backgrounds, composited. */
    const backdrop = (el) => {
      const layers = [];
      for (let node = el; node; node = node.parentElement) {
        const bg = parse(getComputedStyle(node).backgroundColor);
        if (bg[3] > 0) layers.push(bg);
        if (bg[3] >= 1) break;
      }
      let color = parse(getComputedStyle(document.documentElement).backgroundColor);
      if (color[3] < 1) color = [255, 255, 255, 1];
      for (const layer of layers.reverse()) color = over(layer, color);
      return color;
    };
    /** The product of the element's and its ancestors' opacity: a faded element's colours mix with what is behind. */
    const opacity = (el) => {
      let value = 1;
      for (let node = el; node; node = node.parentElement) value *= Number(getComputedStyle(node).opacity);
      return value;
    };
    const visible = (el) => {
      if (el.closest('.visually-hidden, [aria-hidden="true"], svg, canvas')) return false;
      const style = getComputedStyle(el);
      return style.visibility === 'visible' && el.getClientRects().length > 0 && el.offsetWidth > 1 && el.offsetHeight > 1;
    };
    const describe = (el) => {
      const text = (el.textContent ?? '').replace(/\\s+/g, ' ').trim().slice(0, 60);
      const label = el.getAttribute('aria-label');
      const cls = typeof el.className === 'string' && el.className ? \`.\${el.className.trim().split(/\\s+/).filter((c) => !c.startsWith('svelte-')).join('.')}\` : '';
      const view = el.closest('main > *')?.getAttribute('aria-label') ?? el.closest('main > *')?.className.split(' ')[0] ?? (el.closest('nav.sidebar') ? 'sidebar' : 'window');
      return \`<\${el.tagName.toLowerCase()}\${cls}> "\${label ?? text}" in \${view}\`;
    };
    const disabled = (el) => el.closest(':disabled, [aria-disabled="true"]') !== null;
    const hasTitle = (el) => el.closest('[title]:not([title=""])') !== null || el.querySelector('[title]:not([title=""])') !== null;

    // Clipped text: headings, header cells, buttons, labels and anything cut with an ellipsis.
    const TEXTUAL = 'h1, h2, h3, h4, h5, h6, th, [role="columnheader"], button, label, summary, legend, dt, .badge';
    const candidates = new Set(document.querySelectorAll(TEXTUAL));
    for (const el of document.querySelectorAll('body *')) if (getComputedStyle(el).textOverflow === 'ellipsis') candidates.add(el);
    for (const el of candidates) {
      if (!visible(el) || (el.textContent ?? '').trim() === '') continue;
      const style = getComputedStyle(el);
      if (style.display === 'inline' || style.display === 'contents') continue;
      const cutX = el.scrollWidth > el.clientWidth + 1 && style.overflowX !== 'visible';
      const cutY = el.scrollHeight > el.clientHeight + 1 && style.overflowY !== 'visible' && style.overflowY !== 'auto' && style.overflowY !== 'scroll';
      if ((cutX || cutY) && !hasTitle(el)) problems.push({ rule: 'clipped', detail: \`\${describe(el)} is cut (\${el.scrollWidth}×\${el.scrollHeight} in \${el.clientWidth}×\${el.clientHeight}) with no title to read it\` });
    }

    // A short word broken across two lines ("Productio / n") in the same elements.
    for (const el of document.querySelectorAll(TEXTUAL)) {
      if (!visible(el)) continue;
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        // A long identifier (a path, a dotted key) has to wrap somewhere; a word or a short name must not.
        for (const token of (node.textContent ?? '').matchAll(/\\S+/gu)) {
          if (token[0].length > 24) continue;
          for (const word of token[0].matchAll(/[\\p{L}\\p{N}]{2,}/gu)) {
            const range = document.createRange();
            range.setStart(node, token.index + word.index);
            range.setEnd(node, token.index + word.index + word[0].length);
            const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
            if (tops.size > 1) problems.push({ rule: 'broken-word', detail: \`\${describe(el)} breaks the word "\${word[0]}" across lines\` });
          }
        }
      }
    }

    // Text contrast, for each element holding text of its own.
    for (const el of document.querySelectorAll('body *')) {
      if (!visible(el) || disabled(el)) continue;
      const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '');
      if (!ownText) continue;
      const style = getComputedStyle(el);
      const alpha = opacity(el);
      if (alpha === 0) continue;
      const bg = backdrop(el);
      const fg = over([...parse(style.color).slice(0, 3), parse(style.color)[3] * alpha], bg);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const need = large ? 3 : 4.5;
      const got = ratio(fg, bg);
      if (got < need) problems.push({ rule: 'text-contrast', detail: \`\${describe(el)} has contrast \${got.toFixed(2)}:1 (needs \${need}:1): \${style.color} on rgb(\${bg.slice(0, 3).map(Math.round).join(', ')})\` });
    }

    // Controls: what shows a field is there (its border or its fill) must stand 3:1 against its
    // surroundings; a button with a label is shown by its text (checked above), an icon button
    // by its icon, drawn in the button's colour.
    const CONTROLS = 'button, input:not([type="hidden"]), select, textarea, [role="button"], [role="checkbox"], [role="switch"], [role="tab"]';
    for (const el of document.querySelectorAll(CONTROLS)) {
      if (!visible(el) || disabled(el)) continue;
      // Checkboxes, radios and the like are drawn by the browser in the accent colour.
      if (el instanceof HTMLInputElement && ['checkbox', 'radio', 'range', 'color', 'file'].includes(el.type)) continue;
      const style = getComputedStyle(el);
      const alpha = opacity(el);
      if (alpha === 0) continue;
      const around = backdrop(el.parentElement);
      const field = !(el instanceof HTMLButtonElement) && el.getAttribute('role') === null;
      if (!field && (el.textContent ?? '').trim() !== '') continue;
      const fillColor = parse(style.backgroundColor);
      const fill = fillColor[3] > 0 ? over([...fillColor.slice(0, 3), fillColor[3] * alpha], around) : around;
      const borderColor = parse(style.borderTopColor);
      const bordered = parseFloat(style.borderTopWidth) > 0 && borderColor[3] > 0 && style.borderTopStyle !== 'none';
      const border = bordered ? over([...borderColor.slice(0, 3), borderColor[3] * alpha], around) : around;
      const icon = over([...parse(style.color).slice(0, 3), parse(style.color)[3] * alpha], fill);
      const edge = Math.max(ratio(fill, around), ratio(border, around), field ? 0 : ratio(icon, fill));
      if (edge < 3) problems.push({ rule: 'control-contrast', detail: \`\${describe(el)} stands \${edge.toFixed(2)}:1 against its surroundings (needs 3:1): border \${style.borderTopColor}, fill \${style.backgroundColor}, colour \${style.color}\` });
    }
    return problems;
`;

/**
 * Looks at every visible element that shows text or is a control: clipping without a title,
 * short words broken across lines, text contrast, and control edges against what surrounds them.
 */
export async function checkTextAndContrast(page: Page): Promise<ViewProblem[]> {
  return page.evaluate<ViewProblem[]>(`(() => {\n${IN_PAGE_TEXT_AND_CONTRAST}})()`);
}

/**
 * Tabs through the first `steps` focusable elements and reports any that shows no focus ring
 * (neither an outline nor a box-shadow).
 */
export async function checkFocusVisible(page: Page, steps = 25): Promise<ViewProblem[]> {
  const problems: ViewProblem[] = [];
  await page.evaluate('document.activeElement?.blur()');
  for (let i = 0; i < steps; i++) {
    await page.keyboard.press('Tab');
    const found = await page.evaluate<{ outline: boolean; shadow: boolean; label: string; tag: string } | undefined>(`(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return undefined;
      const style = getComputedStyle(el);
      const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1;
      const shadow = style.boxShadow !== 'none';
      const label = el.getAttribute('aria-label') ?? (el.textContent ?? '').replace(/\\s+/g, ' ').trim().slice(0, 40);
      return { outline, shadow, label, tag: el.tagName.toLowerCase() };
    })()`);
    if (!found) continue;
    if (!found.outline && !found.shadow) problems.push({ rule: 'focus-invisible', detail: `<${found.tag}> "${found.label}" shows no focus ring when reached with Tab` });
  }
  return problems;
}

/** Every check above on the view as it stands, the shell check last (it scrolls the panes). */
export async function checkView(page: Page, options: { focus?: boolean } = {}): Promise<string[]> {
  const problems = [...(await checkTextAndContrast(page)), ...(options.focus === false ? [] : await checkFocusVisible(page)), ...(await checkShellDoesNotScroll(page))];
  return [...new Set(problems.map((p) => `${p.rule}: ${p.detail}`))];
}
