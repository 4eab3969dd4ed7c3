/**
 * Whether the window shows its dark theme: the OS's choice unless the settings pin one. CSS
 * follows it through app.css (`light-dark()` and `data-theme`); canvas drawings (the charts) read
 * it here and redraw when it changes.
 */
class Theme {
  #query = matchMedia('(prefers-color-scheme: dark)');
  #osDark = $state(this.#query.matches);
  /** Set by the settings; undefined follows the OS. */
  pinned = $state<'light' | 'dark' | undefined>(undefined);

  constructor() {
    this.#query.addEventListener('change', (e) => {
      this.#osDark = e.matches;
    });
  }

  get dark(): boolean {
    return this.pinned === undefined ? this.#osDark : this.pinned === 'dark';
  }

  /**
   * A colour variable of app.css as the page resolves it now (for drawing on canvas). The
   * variables hold `light-dark()` pairs, which a canvas cannot parse, so a probe element
   * resolves them to plain rgb.
   */
  cssColor(name: string): string {
    const probe = document.createElement('span');
    probe.style.color = `var(${name})`;
    document.body.append(probe);
    const color = getComputedStyle(probe).color;
    probe.remove();
    return color;
  }
}

/** The window's theme. */
export const theme = new Theme();
