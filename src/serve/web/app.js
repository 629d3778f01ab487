// The wsr-native run browser: lists the runs and sweeps under the served folder and shows one at a
// time. Every figure is a Vega-Lite spec built by the package (the same specs as a run's
// figures/ files), embedded here with vega-embed. Served by `wsr-native serve`, which pushes a
// Server-Sent Event when the open item's files change; `wsr-native report RUN --html` inlines
// this script with the data in window.WSR_STATIC, and then nothing is fetched.
/* global vegaEmbed */
(function () {
  'use strict';

  const STATIC = window.WSR_STATIC || null;
  /** The name of every figure's top-level dataset (src/report/vega.ts FIGURE_DATA). */
  const FIGURE_DATA = 'table';
  // mode: every spec is Vega-Lite (without it vega-embed guesses, and takes a 'concat' spec for Vega).
  const EMBED_OPTIONS = { mode: 'vega-lite', renderer: 'svg', actions: { export: true, source: true, compiled: false, editor: false } };

  const indexEl = document.getElementById('index');
  const viewEl = document.getElementById('view');

  // ---- data -------------------------------------------------------------------------------

  async function getJson(url) {
    const response = await fetch(url, { cache: 'no-store' });
    if (!response.ok) throw new Error(`${url}: ${response.status} ${(await response.text()).trim()}`);
    return response.json();
  }

  const api = {
    index: () => (STATIC ? Promise.resolve(STATIC.index) : getJson('api/index')),
    item: (kind, path) => {
      if (STATIC) {
        const view = STATIC.views[`${kind}:${path}`];
        return view ? Promise.resolve(view) : Promise.reject(new Error(`${kind} '${path}' is not in this file`));
      }
      return getJson(`api/${kind}?path=${encodeURIComponent(path)}`);
    },
  };

  // ---- small DOM helpers ------------------------------------------------------------------

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key.startsWith('data-')) node.setAttribute(key, String(value));
      else if (key === 'text') node.textContent = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Replaces a node's children, leaving out null, undefined and false (replaceChildren would write them as text). */
  function fill(node, ...children) {
    node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  }

  function note(text, kind) {
    return el('p', { class: kind === 'problem' ? 'note problem' : 'note' }, text);
  }

  function hrefOf(kind, path) {
    return `#/${kind}/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  function parseHash() {
    const m = /^#\/(run|sweep)\/?(.*)$/.exec(location.hash);
    return m ? { kind: m[1], path: m[2].split('/').map(decodeURIComponent).join('/') } : null;
  }

  function fileLink(path, label) {
    return STATIC ? null : el('a', { href: `files/${path.split('/').map(encodeURIComponent).join('/')}`, target: '_blank' }, label);
  }

  // ---- figures ----------------------------------------------------------------------------

  /** A spec without its rows: two specs with the same key differ only in data. */
  function structureKey(spec) {
    const data = spec.data && spec.data.name === FIGURE_DATA ? { name: FIGURE_DATA } : spec.data;
    return JSON.stringify(Object.assign({}, spec, { data }));
  }

  /** The params bound to an input (the heat map's epoch slider): name -> newest value. */
  function boundParams(spec) {
    const out = {};
    for (const p of spec.params || []) if (p.bind) out[p.name] = p.value;
    return out;
  }

  /**
   * A figure on the page. A new version whose structure is the same gets only its rows swapped
   * (the view, its zoom and tooltips stay); otherwise it is embedded afresh, and a slider the reader
   * moved stays where they left it (one left at the newest epoch follows the new newest).
   */
  class FigureSlot {
    constructor(name) {
      this.name = name;
      this.node = el('div', { class: 'figure', 'data-figure': name });
      this.result = null;
      this.key = null;
      this.newest = {};
    }

    async show(spec) {
      const key = structureKey(spec);
      if (this.result && key === this.key) {
        await this.result.view.data(FIGURE_DATA, spec.data.values).runAsync();
      } else {
        const kept = this.result ? this.sliderValues() : {};
        const newest = boundParams(spec);
        for (const p of spec.params || []) {
          if (p.bind && p.name in kept && kept[p.name] !== this.newest[p.name]) p.value = Math.min(Math.max(kept[p.name], p.bind.min), p.bind.max);
        }
        this.finalize();
        this.result = await vegaEmbed(this.node, spec, EMBED_OPTIONS);
        this.key = key;
        this.newest = newest;
      }
      this.node.setAttribute('data-rendered', 'true');
    }

    sliderValues() {
      const out = {};
      for (const name of Object.keys(this.newest)) {
        try {
          out[name] = this.result.view.signal(name);
        } catch (e) {
          // The param is gone from the view: nothing to keep.
        }
      }
      return out;
    }

    finalize() {
      if (this.result) this.result.finalize();
      this.result = null;
    }
  }

  // ---- the index --------------------------------------------------------------------------

  let indexEntries = [];

  function statusText(entry) {
    if (entry.kind === 'sweep') return 'sweep';
    return `${entry.status} · ${entry.epochs} epoch${entry.epochs === 1 ? '' : 's'}`;
  }

  function renderIndex(index) {
    indexEntries = index.entries;
    const selected = parseHash();
    const items = index.entries.map((entry) => {
      const depth = entry.path === '' ? 0 : entry.path.split('/').length - 1;
      const current = selected && selected.kind === entry.kind && selected.path === entry.path;
      return el('li', { class: `entry ${entry.kind}${current ? ' current' : ''}`, style: `padding-left: ${0.6 + depth * 0.9}em` },
        el('a', { href: hrefOf(entry.kind, entry.path), title: entry.path || '.' }, entry.name),
        el('span', { class: `status ${entry.status || 'sweep'}` }, statusText(entry)));
    });
    fill(indexEl,
      el('h2', {}, 'Runs and sweeps'),
      items.length ? el('ul', {}, items) : note('No runs (folders with config.json) or sweeps (folders with sweep.json) here yet.'),
    );
  }

  async function refreshIndex() {
    try {
      renderIndex(await api.index());
    } catch (error) {
      fill(indexEl, note(`Could not list the folder: ${error.message}`, 'problem'));
    }
  }

  // ---- a run ------------------------------------------------------------------------------

  function summaryTable(summary) {
    return el('table', { class: 'summary' },
      el('thead', {}, el('tr', {}, summary.header.map((h, i) => el('th', { class: i ? 'num' : '' }, h)))),
      el('tbody', {}, summary.body.map((row) => el('tr', {}, row.map((c, i) => el(i ? 'td' : 'th', { class: i ? 'num' : 'metric' }, c))))));
  }

  class RunPage {
    constructor(path) {
      this.path = path;
      this.slots = new Map();
      this.node = el('section', { class: 'item run', 'data-run': path });
      this.header = el('div', { class: 'header' });
      this.summary = el('div', { class: 'summary-box' });
      this.figures = el('div', { class: 'figures' });
      this.node.append(this.header, this.summary, this.figures);
    }

    async update(view) {
      this.node.setAttribute('data-epochs', view.epochs);
      this.node.setAttribute('data-status', view.status);
      fill(this.header,
        el('h2', {}, view.name, ' ', el('span', { class: `status ${view.status}` }, view.status)),
        el('p', { class: 'facts' }, [`${view.epochs} epoch${view.epochs === 1 ? '' : 's'}`,
          view.conversionEpoch !== null ? `converted after epoch ${view.conversionEpoch}` : 'not converted yet', ...view.facts].join(' · ')),
        view.files.length && !STATIC
          ? el('p', { class: 'files' }, 'files: ', view.files.map((f, i) => [i ? ', ' : '', fileLink(`${view.path ? view.path + '/' : ''}${f}`, f)]))
          : null,
        view.problem ? note(view.problem, 'problem') : null,
      );
      fill(this.summary, view.summary ? summaryTable(view.summary) : note('No completed epoch yet.'));
      const wanted = new Set(view.figures.map((f) => f.name));
      for (const [name, slot] of this.slots) {
        if (!wanted.has(name)) {
          slot.finalize();
          slot.node.remove();
          this.slots.delete(name);
        }
      }
      const order = [];
      for (const { name, spec } of view.figures) {
        if (!this.slots.has(name)) this.slots.set(name, new FigureSlot(name));
        order.push(this.slots.get(name).node);
      }
      const skipped = view.skipped.map((s) => note(`No ${s.name.replace('_', ' ')} figure: ${s.reason}.`));
      fill(this.figures, ...order, ...skipped);
      for (const { name, spec } of view.figures) await this.slots.get(name).show(spec);
    }

    dispose() {
      for (const slot of this.slots.values()) slot.finalize();
    }
  }

  // ---- a sweep ----------------------------------------------------------------------------

  function cellText(value) {
    if (value === null || value === undefined) return '–';
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  const ROW_STATUS = { partial: 'not every seed of this setting finished', none: 'no point of this setting finished' };

  /**
   * One of the aggregate's tables, its cells as `aggregate` formatted them (the same text as
   * aggregate.md: src/sweep/aggregateTables.ts); a row's class says whether its setting finished.
   * Test accuracy is shown open; the longer robustness and distance tables fold, their title the
   * summary.
   */
  function aggregateTable(t) {
    const table = t.rows.length
      ? el('table', { class: 'aggregate', 'data-table': t.name },
        el('thead', {}, el('tr', {}, t.columns.map((c, i) => el('th', { class: t.numeric[i] ? 'num' : '' }, c)))),
        el('tbody', {}, t.rows.map((r) => el('tr', { class: `setting ${r.status}`, 'data-status': r.status, title: ROW_STATUS[r.status] || null },
          r.cells.map((c, i) => el(i ? 'td' : 'th', { class: i === 0 ? 'setting' : t.numeric[i] ? 'num' : '' }, c))))))
      : note(t.empty || 'Nothing to show.');
    if (t.name === 'test_accuracy' || t.name === 'aggregate') return [el('h4', {}, t.title), table];
    return el('details', { 'data-table-box': t.name }, el('summary', {}, el('h4', {}, t.title)), table);
  }

  function statusKey(tables) {
    const seen = new Set(tables.flatMap((t) => t.rows.map((r) => r.status)));
    const parts = [seen.has('partial') ? 'marked rows: not every seed finished' : null, seen.has('none') ? 'grey rows: no finished point yet' : null].filter(Boolean);
    return parts.length ? note(`Mean ± half-width of the 95% confidence interval over the finished seeds; ${parts.join('; ')}.`) : note('Mean ± half-width of the 95% confidence interval over seeds.');
  }

  class SweepPage {
    constructor(path) {
      this.path = path;
      this.node = el('section', { class: 'item sweep', 'data-sweep': path });
      this.slots = [];
    }

    async update(view) {
      this.dispose();
      const agg = view.aggregate;
      const figureNodes = [];
      if (agg) {
        for (const f of agg.figures) {
          if (!f.spec) {
            figureNodes.push(note(`${f.title}: ${f.problem}`, 'problem'));
            continue;
          }
          const slot = new FigureSlot(f.name);
          this.slots.push([slot, f.spec]);
          figureNodes.push(slot.node);
        }
      }
      fill(this.node,
        el('div', { class: 'header' },
          el('h2', {}, view.name, ' ', el('span', { class: 'status sweep' }, 'sweep')),
          el('p', { class: 'facts' }, [`${view.points.length} point${view.points.length === 1 ? '' : 's'}`, view.created ? `created ${view.created}` : null].filter(Boolean).join(' · '))),
        ...view.problems.map((p) => note(p, 'problem')),
        agg ? el('h3', {}, 'Aggregate') : null,
        agg && agg.files.length && !STATIC
          ? el('p', { class: 'files' }, 'files: ', agg.files.map((f, i) => [i ? ', ' : '', fileLink(`${view.path ? view.path + '/' : ''}${f}`, f.replace(/^aggregate\//, ''))]))
          : null,
        agg ? statusKey(agg.tables) : null,
        agg ? el('div', { class: 'tables' }, agg.tables.map(aggregateTable)) : null,
        el('div', { class: 'figures' }, figureNodes),
        agg ? agg.skipped.map((s) => note(`No ${s.name.replace(/_/g, ' ')} figure: ${s.reason}.`)) : null,
        el('h3', {}, 'Points'),
        el('ul', { class: 'points' }, view.points.map((p) => el('li', {},
          p.path !== null ? el('a', { href: hrefOf('run', p.path) }, p.name) : el('span', {}, p.name),
          ' ', el('span', { class: 'settings' }, Object.entries(p.settings).map(([k, v]) => `${k} ${cellText(v)}`).join(', ')),
          p.status ? el('span', { class: `status ${p.status}` }, `${p.status} · ${p.epochs} epochs`) : el('span', { class: 'status' }, 'not started')))),
      );
      for (const [slot, spec] of this.slots) await slot.show(spec);
    }

    dispose() {
      for (const [slot] of this.slots) slot.finalize();
      this.slots = [];
    }
  }

  // ---- the open item, kept live -------------------------------------------------------------

  let page = null;
  let events = null;
  let pending = Promise.resolve();

  /** Runs updates one after another, so that two refreshes never interleave. */
  function serially(task) {
    pending = pending.then(task).catch((error) => {
      viewEl.prepend(note(`Update failed: ${error.message}`, 'problem'));
    });
    return pending;
  }

  async function refreshItem() {
    if (!page) return;
    const current = page;
    const view = await api.item(current instanceof RunPage ? 'run' : 'sweep', current.path);
    if (page === current) await current.update(view);
    document.body.setAttribute('data-ready', 'true');
  }

  function listen(kind, path) {
    if (STATIC || typeof EventSource === 'undefined') return;
    if (events) events.close();
    const query = kind ? `kind=${kind}&path=${encodeURIComponent(path)}` : 'kind=index';
    events = new EventSource(`api/events?${query}`);
    events.addEventListener('item', () => serially(refreshItem));
    events.addEventListener('index', () => serially(refreshIndex));
  }

  function open(target) {
    if (page) page.dispose();
    page = null;
    document.body.removeAttribute('data-ready');
    if (!target) {
      fill(viewEl, note(indexEntries.length ? 'Pick a run or a sweep.' : 'Nothing to show yet.'));
      document.body.setAttribute('data-ready', 'true');
      listen(null, '');
      return serially(async () => undefined);
    }
    page = target.kind === 'run' ? new RunPage(target.path) : new SweepPage(target.path);
    fill(viewEl, page.node);
    for (const li of indexEl.querySelectorAll('li.entry')) {
      const a = li.querySelector('a');
      li.classList.toggle('current', a && a.getAttribute('href') === hrefOf(target.kind, target.path));
    }
    listen(target.kind, target.path);
    return serially(refreshItem);
  }

  /** The hash's item, else the most recently updated one. */
  function initialTarget() {
    const fromHash = parseHash();
    if (fromHash) return fromHash;
    const newest = indexEntries.slice().sort((a, b) => b.updated - a.updated)[0];
    return newest ? { kind: newest.kind, path: newest.path } : null;
  }

  window.addEventListener('hashchange', () => open(parseHash()));

  (async function start() {
    if (STATIC && STATIC.note) document.querySelector('.subtitle').textContent = STATIC.note;
    await refreshIndex();
    const target = initialTarget();
    if (target && !parseHash()) history.replaceState(null, '', hrefOf(target.kind, target.path));
    await open(target);
  })();
})();
