// The page's HTML, in two forms from one template: served (scripts and style linked from /assets/)
// or standalone (everything inlined, with the data, for `report --html`).
import { SCRIPTS, STYLE, asset } from './assets';

/** What a standalone page carries instead of asking the server. */
export interface StaticData {
  /** The index (one entry per item) and each item's view, by `${kind}:${path}`. */
  index: unknown;
  views: Record<string, unknown>;
  /** When and from what it was written, for the page's header. */
  note: string;
}

/**
 * The content security policy: nothing from outside the page's origin (or, standalone, nothing
 * outside the file) can load. Vega compiles its expressions with Function, hence 'unsafe-eval'.
 */
const POLICY = {
  served: "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
  standalone: "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:",
};

/** Text safe inside an inline <script> or <style> element: no closing tag can end it early. */
function inlineSafe(text: string): string {
  return text.replace(/<\/(script|style)/gi, '<\\/$1');
}

/** JSON safe inside an inline <script>. */
function jsonScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function body(title: string): string {
  return `<header class="top"><h1>wsr-native</h1><span class="subtitle">${escapeHtml(title)}</span></header>
<div class="layout">
<nav id="index" aria-label="runs and sweeps"><p class="note">loading…</p></nav>
<main id="view"><p class="note">loading…</p></main>
</div>`;
}

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function shell(title: string, policy: string, head: string, scripts: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<title>${escapeHtml(title)} · wsr-native</title>
${head}
</head>
<body>
${body(title)}
${scripts}
</body>
</html>
`;
}

/** The served page: it fetches the index and the views from the server's /api/. */
export function servedPage(title: string): string {
  return shell(
    title,
    POLICY.served,
    `<link rel="stylesheet" href="assets/${STYLE}">`,
    SCRIPTS.map((s) => `<script src="assets/${s}"></script>`).join('\n'),
  );
}

/** The standalone page: scripts, style and data inlined; it opens from a file with no server and no network. */
export function standalonePage(title: string, data: StaticData): string {
  const inline = (name: string): string => inlineSafe(asset(name)!.body);
  return shell(
    title,
    POLICY.standalone,
    `<style>\n${inline(STYLE)}\n</style>`,
    [
      `<script>window.WSR_STATIC = ${jsonScript(data)};</script>`,
      ...SCRIPTS.map((s) => `<script>\n${inline(s)}\n</script>`),
    ].join('\n'),
  );
}
