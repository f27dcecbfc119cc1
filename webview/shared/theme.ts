/**
 * Colours and fonts for charts, read from VS Code's CSS variables at render time (so charts
 * follow light, dark and high-contrast themes and exported files carry real colours).
 */

export interface ChartTheme {
  readonly foreground: string;
  readonly muted: string;
  readonly background: string;
  readonly grid: string;
  readonly fontFamily: string;
  readonly fontSize: string;
  readonly series: {
    readonly blue: string;
    readonly orange: string;
    readonly green: string;
    readonly purple: string;
    readonly red: string;
    readonly yellow: string;
  };
  /** For categories such as runs: VS Code's chart colours, in an order that keeps neighbours apart. */
  readonly categorical: readonly string[];
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v === '' ? fallback : v;
}

export function chartTheme(): ChartTheme {
  const series = {
    blue: cssVar('--vscode-charts-blue', '#3794ff'),
    orange: cssVar('--vscode-charts-orange', '#d18616'),
    green: cssVar('--vscode-charts-green', '#89d185'),
    purple: cssVar('--vscode-charts-purple', '#b180d7'),
    red: cssVar('--vscode-charts-red', '#f14c4c'),
    yellow: cssVar('--vscode-charts-yellow', '#cca700'),
  };
  return {
    foreground: cssVar('--vscode-editor-foreground', cssVar('--vscode-foreground', '#cccccc')),
    muted: cssVar('--vscode-descriptionForeground', '#999999'),
    background: cssVar('--vscode-editor-background', '#1e1e1e'),
    grid: cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.5)'),
    fontFamily: cssVar('--vscode-font-family', 'sans-serif'),
    fontSize: cssVar('--vscode-font-size', '13px'),
    series,
    categorical: [series.blue, series.orange, series.green, series.purple, series.red, series.yellow],
  };
}

/** Calls back when the user switches theme (VS Code changes the body's classes and variables). */
export function onThemeChange(callback: () => void): void {
  let last = document.body.className;
  new MutationObserver(() => {
    if (document.body.className !== last) {
      last = document.body.className;
      callback();
    }
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}
