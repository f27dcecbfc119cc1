import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** Where the bundled front ends live; the only folder a panel may load from. */
export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  // No retainContextWhenHidden: the panels restore from their state in well under a second.
  return { enableScripts: true, localResourceRoots: [webviewRoot(extensionUri)], enableFindWidget: true };
}

/** The bundled front end of a panel kind (dist/webview/<entry>.js and .css). */
export type PanelEntry = 'example' | 'dashboard' | 'dataMap' | 'sweepTable';

/** The panels that draw with the charting module (the data map and the sweep table draw their own). */
const CHARTED: ReadonlySet<PanelEntry> = new Set<PanelEntry>(['example', 'dashboard']);

/**
 * The page shell of a panel: a fresh nonce per load and a Content-Security-Policy that allows
 * only the bundled files and style elements carrying the nonce. It loads the panel's module
 * script and preloads its charting chunk beside it (fetched in parallel; the script's import of
 * it inherits the nonce; see webview/README.md). No content: everything shown is built by the
 * script as DOM text. The toolkit (FAST) reads the nonce for the style elements it creates from
 * the `csp-nonce` meta tag.
 */
export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, entry: PanelEntry, title: string): string {
  const nonce = randomBytes(18).toString('base64');
  const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot(extensionUri), file)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta property="csp-nonce" content="${nonce}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset(`${entry}.css`)}">
${CHARTED.has(entry) ? `<link rel="modulepreload" nonce="${nonce}" href="${asset('charts.js')}">` : ''}
<title>${esc(title)}</title>
</head>
<body>
<main id="app" aria-busy="true"></main>
<script type="module" nonce="${nonce}" src="${asset(`${entry}.js`)}"></script>
</body>
</html>`;
}
