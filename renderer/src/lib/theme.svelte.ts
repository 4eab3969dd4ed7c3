/**
 * Whether the OS asks for the dark theme. CSS follows it through app.css; canvas drawings (the
 * charts) read it here and redraw when it changes.
 */
class Theme {
  #query = matchMedia('(prefers-color-scheme: dark)');
  dark = $state(this.#query.matches);

  constructor() {
    this.#query.addEventListener('change', (e) => {
      this.dark = e.matches;
    });
  }

  /** The current value of a CSS variable of app.css (for drawing on canvas). */
  cssVar(name: string): string {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }
}

/** The window's theme. */
export const theme = new Theme();
