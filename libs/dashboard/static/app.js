/*
 * Rewind live dashboard. The server pushes one sweep's full SweepSnapshot (libs/dashboard/src/views.ts)
 * over server-sent events; this script draws it with Observable Plot (global `Plot`, vendored).
 * An ES module (strict, nothing global), no build step. Names, ids and log text come from users: they only ever reach the page
 * through textContent / setAttribute (see `h`), never innerHTML.
 */
const $ = (id) => document.getElementById(id);
/** Analyses with their own figure; any other name (a plug-in) goes to the generic table. */
const FIGURE_ANALYSES = new Set(['linear_mode', 'pruning', 'data_order']);
/** The linear_mode analysis' default threshold, used until a result states its own. */
const DEFAULT_STABLE_BARRIER_PCT = 2;

const app = {
  sweeps: [], // SweepInfo[] from /api/sweeps
  sweepId: undefined,
  source: undefined, // the EventSource of the sweep shown
  retry: undefined, // timer re-opening a stream the browser gave up on
  snapshot: undefined, // the latest SweepSnapshot
  receivedAt: 0, // when it arrived: elapsed and ETA keep running between snapshots
  keys: {}, // what each figure / table was last drawn from: redraw only what changed
  selectedMask: undefined,
  cancelRequested: false,
};

// ---------------------------------------------------------------------------------------------
// Small helpers

/** createElement with attributes (`on*` become listeners) and children (strings become text nodes). */
function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null && c !== false) e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

const finite = (x) => typeof x === 'number' && Number.isFinite(x);
const pad2 = (n) => String(n).padStart(2, '0');
const short = (id, n = 12) => (id ? String(id).slice(0, n) : '');
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const byName = (a, b) => String(a).localeCompare(String(b), 'en', { numeric: true });

/** A fraction as a percentage; NaN travels as null in JSON, which here means the training diverged. */
function pct(x, digits = 2) {
  if (finite(x)) return (100 * x).toFixed(digits);
  return x === null ? 'diverged' : '—';
}

/** "1h 02m", "4m 05s", "12s"; "—" when unknown. */
function duration(ms) {
  if (!finite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (hours > 0) return `${hours}h ${pad2(minutes)}m`;
  if (minutes > 0) return `${minutes}m ${pad2(s % 60)}s`;
  return `${s}s`;
}

const clock = (at) => {
  const d = new Date(at);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
};

/** GET/POST JSON; a non-2xx answer throws its `{error}` message. */
async function fetchJson(url, init) {
  const res = await fetch(url, init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

const sweepUrl = (id, rest) => `/api/sweeps/${encodeURIComponent(id)}/${rest}`;

/** Runs one part of the render; a failure shows in its container instead of stopping the others. */
function guard(container, draw) {
  try {
    draw();
  } catch (err) {
    console.error(err);
    container.replaceChildren(h('p', { class: 'error' }, `cannot draw this: ${err.message}`));
  }
}

/** True when `key` differs from what `name` was last drawn from (and remembers it). */
function changed(name, key) {
  if (app.keys[name] === key) return false;
  app.keys[name] = key;
  return true;
}

function emptyRow(columns, text) {
  return h('tr', { class: 'empty' }, h('td', { colspan: columns, class: 'muted' }, text));
}

// ---------------------------------------------------------------------------------------------
// Choosing a sweep and following its stream

async function start() {
  $('sweep-select').addEventListener('change', (e) => {
    location.hash = `sweep=${encodeURIComponent(e.target.value)}`;
  });
  window.addEventListener('hashchange', () => {
    const id = hashSweep();
    if (id && id !== app.sweepId) openSweep(id);
  });
  $('accuracy-metric').addEventListener('change', () => app.snapshot && drawFigures(app.snapshot));
  $('cancel').addEventListener('click', cancelSweep);
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => app.snapshot && drawFigures(app.snapshot), 200);
  });
  setInterval(tickClock, 1000);

  let sweeps;
  try {
    sweeps = (await fetchJson('/api/sweeps')).sweeps ?? [];
  } catch (err) {
    setConnection('error', `cannot list sweeps: ${err.message}`);
  }
  app.sweeps = sweeps ?? [];
  fillSelect(app.sweeps);
  const id = hashSweep() ?? app.sweeps[0]?.sweepId;
  // Name the sweep in the address (without a hashchange), so a reload or a shared link shows the same.
  if (id && !hashSweep()) history.replaceState(null, '', `#sweep=${encodeURIComponent(id)}`);
  if (id) openSweep(id);
  else if (sweeps) setConnection('idle', 'no sweeps');
}

function hashSweep() {
  return new URLSearchParams(location.hash.slice(1)).get('sweep') || undefined;
}

function fillSelect(sweeps) {
  const options = sweeps.map((s) => h('option', { value: s.sweepId }, `${s.name} (${short(s.sweepId, 8)})`));
  $('sweep-select').replaceChildren(...options);
}

/** Shows sweep `id`: forgets the last one's state and opens its event stream. */
function openSweep(id) {
  const select = $('sweep-select');
  if (![...select.options].some((o) => o.value === id)) select.append(h('option', { value: id }, id));
  select.value = id;
  app.sweepId = id;
  app.snapshot = undefined;
  app.keys = {};
  app.selectedMask = undefined;
  app.cancelRequested = false;
  clearView(id);
  connect(id);
}

/** Until the new sweep's first snapshot, show nothing of the last one's. */
function clearView(id) {
  const info = app.sweeps.find((s) => s.sweepId === id);
  $('sweep-name').textContent = info?.name ?? id;
  $('sweep-model').textContent = info ? `${info.model} on ${info.dataset}` : '';
  $('sweep-state').replaceChildren();
  $('sweep-progress').textContent = '0/0 trainings';
  $('sweep-progress-bar').value = 0;
  for (const el of ['sweep-elapsed', 'sweep-eta']) $(el).textContent = '—';
  $('sweep-backend').textContent = info?.backend ?? '—';
  $('sweep-trace').hidden = true;
  $('cancel').disabled = true;
  $('cancel-status').textContent = '';
  for (const table of ['jobs', 'tickets', 'plugin-analyses']) $(table).tBodies[0].replaceChildren();
  for (const f of FIGURES) $(f.id).replaceChildren(h('p', { class: 'empty muted' }, 'waiting for the sweep…'));
  $('log').replaceChildren();
  $('lineage').replaceChildren(h('p', { class: 'muted' }, 'select a ticket'));
  delete document.body.dataset.updatedAt;
  delete document.body.dataset.rows;
}

function connect(id) {
  app.source?.close();
  clearTimeout(app.retry);
  setConnection('connecting', 'connecting…');
  const source = new EventSource(sweepUrl(id, 'events'));
  app.source = source;
  source.onopen = () => setConnection('live', 'live');
  source.onerror = () => {
    if (source !== app.source) return;
    setConnection('reconnecting', 'reconnecting…');
    // The browser retries by itself, except after an HTTP error answer (CLOSED): then retry here.
    if (source.readyState === EventSource.CLOSED) app.retry = setTimeout(() => connect(id), 5000);
  };
  source.addEventListener('snapshot', (e) => {
    if (source !== app.source) return; // a late message from the sweep shown before
    let snapshot;
    try {
      snapshot = JSON.parse(e.data);
    } catch (err) {
      console.warn('bad snapshot', err);
      return;
    }
    render(snapshot);
  });
}

function setConnection(state, text) {
  const el = $('connection');
  el.dataset.state = state;
  el.textContent = text;
}

async function cancelSweep() {
  const id = app.sweepId;
  app.cancelRequested = true;
  $('cancel').disabled = true;
  const status = $('cancel-status');
  status.textContent = 'cancelling…';
  try {
    // A JSON body makes a cross-site form post impossible without a CORS preflight.
    const body = await fetchJson(sweepUrl(id, 'cancel'), { method: 'POST', headers: { 'content-type': 'application/json', 'x-rewind-dashboard': '1' }, body: '{}' });
    if (id === app.sweepId) status.textContent = `cancel requested: ${body.state ?? 'accepted'}`;
  } catch (err) {
    if (id === app.sweepId) status.textContent = `cancel failed: ${err.message}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering one snapshot

function render(s) {
  app.snapshot = s;
  app.receivedAt = Date.now();
  guard($('sweep-state'), () => renderHeader(s));
  guard($('jobs').tBodies[0], () => renderJobs(s.jobs ?? []));
  drawFigures(s);
  guard($('tickets').tBodies[0], () => renderTickets(s.tickets ?? []));
  guard($('plugin-analyses').tBodies[0], () => renderPluginAnalyses(s.analyses ?? []));
  guard($('log'), () => renderLog(s.log ?? []));
  document.body.dataset.updatedAt = s.updatedAt ?? '';
  document.body.dataset.rows = String((s.rows ?? []).length);
}

function renderHeader(s) {
  $('sweep-name').textContent = s.name || s.sweepId;
  document.title = `${s.name || s.sweepId} · Rewind`;
  $('sweep-model').textContent = `${s.model} on ${s.dataset}${s.attempt > 0 ? ` · resumed (attempt ${s.attempt})` : ''}`;
  const state = $('sweep-state');
  state.dataset.state = s.state;
  state.replaceChildren(h('span', { class: 'badge' }, s.state), s.error ? h('span', { class: 'error' }, ` ${s.error}`) : '');
  $('sweep-progress').textContent = `${s.done}/${s.total} trainings`;
  const bar = $('sweep-progress-bar');
  bar.max = Math.max(1, s.total);
  bar.value = s.done;
  $('sweep-backend').textContent = s.backends?.length ? s.backends.join(', ') : s.backend;
  const trace = $('sweep-trace');
  trace.hidden = !s.traceId;
  trace.textContent = s.traceId ? `trace ${s.traceId}` : '';
  $('cancel').disabled = s.state !== 'running' || app.cancelRequested;
  tickClock();
}

/** Elapsed and ETA run on between snapshots while the sweep runs (the server sends only on change). */
function tickClock() {
  const s = app.snapshot;
  if (!s) return;
  const since = s.state === 'running' ? Date.now() - app.receivedAt : 0;
  $('sweep-elapsed').textContent = duration(s.elapsedMs + since);
  $('sweep-eta').textContent = finite(s.etaMs) ? duration(s.etaMs - since) : '—';
}

function renderJobs(jobs) {
  const rows = jobs.map((j) => {
    const where = j.round === undefined ? 'trunk' : `r${j.round} / k=${j.rewindStep ?? '?'}`;
    const loss = finite(j.loss) ? j.loss.toPrecision(4) : j.loss === null ? 'diverged' : '—';
    const speed = finite(j.examplesPerSecond) ? Math.round(j.examplesPerSecond).toLocaleString('en-US') : '—';
    return h(
      'tr',
      { 'data-job': j.jobId, 'data-step': j.step, title: j.experiment },
      h('td', {}, where),
      // The trainer's latest word on this job (taken, retried after an error, …) under its name.
      h('td', {}, j.trainer, j.lastLog ? h('div', { class: 'job-log muted', title: j.lastLog }, j.lastLog) : ''),
      h('td', { class: 'step' }, h('progress', { max: Math.max(1, j.endStep), value: j.step }), ` ${j.step}/${j.endStep}`),
      h('td', { class: 'num' }, loss),
      h('td', { class: 'num' }, speed),
      h('td', { class: 'num' }, duration(j.etaMs)),
    );
  });
  $('jobs').tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(6, 'no training in flight')]));
}

function renderTickets(tickets) {
  if (!changed('tickets', JSON.stringify(tickets))) return;
  const sorted = [...tickets].sort((a, b) => (a.rewindStep ?? 0) - (b.rewindStep ?? 0) || (a.round ?? 0) - (b.round ?? 0));
  const rows = sorted.map((t) => {
    const open = () => showLineage(t);
    return h(
      'tr',
      { 'data-mask': t.maskId, class: t.maskId === app.selectedMask ? 'clickable selected' : 'clickable', tabindex: 0, title: t.experiment, onclick: open, onkeydown: (e) => e.key === 'Enter' && open() },
      h('td', { class: 'num' }, t.rewindStep ?? '—'),
      h('td', { class: 'num' }, t.round ?? '—'),
      h('td', { class: 'num' }, pct(t.weightsRemaining, 1)),
      h('td', { class: 'num' }, pct(t.finalAccuracy)),
      h('td', { class: 'num' }, pct(t.bestAccuracy)),
      h('td', {}, h('code', { title: t.maskId }, short(t.maskId))),
    );
  });
  $('tickets').tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(6, 'no tickets yet')]));
}

function renderPluginAnalyses(analyses) {
  const others = analyses.filter((a) => !FIGURE_ANALYSES.has(a.analysis));
  if (!changed('plugins', JSON.stringify(others))) return;
  const rows = others.map((a) => {
    const json = JSON.stringify(a.result) ?? 'null';
    return h(
      'tr',
      {},
      h('td', {}, h('code', { title: a.experiment }, short(a.experiment, 14))),
      h('td', {}, a.analysis),
      h('td', { class: 'json', title: json.slice(0, 4000) }, h('code', {}, json.length > 160 ? `${json.slice(0, 160)}…` : json)),
    );
  });
  $('plugin-analyses').tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(3, 'no other analyses')]));
}

function renderLog(lines) {
  const last = lines.at(-1);
  if (!changed('log', `${lines.length}|${last?.at}|${last?.text}`)) return;
  const box = $('log');
  // Follow new lines only when the reader is already at the bottom (not while they scroll back).
  const follow = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
  box.replaceChildren(...lines.map((l) => h('div', {}, h('span', { class: 'time' }, clock(l.at)), ` ${l.text}`)));
  if (follow) box.scrollTop = box.scrollHeight;
}

// ---------------------------------------------------------------------------------------------
// Figures: each is { id, data(snapshot) → points, plot(points, width), empty }. A figure is redrawn
// only when its points (or its width) changed; the curves figure has a cheaper key of its own.

const FIGURES = [
  { id: 'fig-accuracy', data: accuracyPoints, plot: accuracyPlot, empty: 'no rows yet' },
  { id: 'fig-instability', data: barrierPoints, plot: instabilityPlot, empty: 'no linear_mode analyses yet' },
  { id: 'fig-distance', data: distancePoints, plot: distancePlot, empty: 'no pruning or data_order analyses yet' },
  { id: 'fig-curves', key: curvesKey, data: curvePoints, plot: curvesPlot, empty: 'no training progress yet' },
];

function drawFigures(s) {
  for (const f of FIGURES) {
    const el = $(f.id);
    guard(el, () => {
      const width = Math.max(320, el.clientWidth);
      const points = f.key ? undefined : f.data(s);
      const key = `${width}|${f.key ? f.key(s) : JSON.stringify(points)}`;
      if (!changed(f.id, key)) return;
      const data = points ?? f.data(s);
      if (data.length === 0) el.replaceChildren(h('p', { class: 'empty muted' }, f.empty));
      else el.replaceChildren(f.plot(data, width));
    });
  }
}

/**
 * One point per (series, x): the mean of the replicates' y, with their min and max. Points carry
 * `series`, `x`, `y`, their row `kind`, a colour `group` (e.g. k) and an optional `detail` for the tooltip.
 */
function summarize(points) {
  const groups = new Map();
  for (const p of points) {
    const key = `${p.series}\u0000${p.x}`;
    if (!groups.has(key)) groups.set(key, { first: p, ys: [], detail: new Set() });
    groups.get(key).ys.push(p.y);
    if (p.detail) groups.get(key).detail.add(p.detail);
  }
  return [...groups.values()]
    .map(({ first, ys, detail }) => ({
      series: first.series,
      kind: first.kind,
      group: first.group,
      control: first.kind !== 'ticket' && first.kind !== 'dense',
      x: first.x,
      mean: mean(ys),
      min: Math.min(...ys),
      max: Math.max(...ys),
      n: ys.length,
      detail: [...detail].join(', '),
    }))
    .sort((a, b) => byName(a.series, b.series) || a.x - b.x);
}

/**
 * Series colours: Plot's ten categorical colours while they suffice; past ten, one hue per group (k)
 * and a lighter shade per kind, so the lines of one rewind point still read as a family.
 */
function seriesColor(points) {
  const domain = [...new Set(points.map((p) => p.series))].sort(byName);
  if (domain.length <= 10) return { legend: true, domain };
  const bySeries = new Map(points.map((p) => [p.series, p]));
  const groups = [...new Set(points.map((p) => String(p.group)))].sort(byName);
  const kinds = [...new Set(points.map((p) => p.kind))].sort((a, b) => (a === 'ticket' ? -1 : b === 'ticket' ? 1 : byName(a, b)));
  const range = domain.map((name) => {
    const p = bySeries.get(name);
    const hue = (360 * groups.indexOf(String(p.group))) / groups.length + 250;
    return d3.hcl(hue % 360, 55, 40 + (40 * kinds.indexOf(p.kind)) / Math.max(1, kinds.length)).formatHex();
  });
  return { legend: true, domain, range };
}

const pointTitle = (unit) => (d) => `${d.series}\n${d.x}${unit}\nmean ${d.mean.toFixed(3)} (n=${d.n}, ${d.min.toFixed(3)}–${d.max.toFixed(3)})${d.detail ? `\n${d.detail}` : ''}`;

/** Mean line (dashed for controls), min–max rule and one circle per point, coloured by series. */
function seriesMarks(points, unit) {
  const line = (data, dash) => Plot.line(data, { x: 'x', y: 'mean', z: 'series', stroke: 'series', strokeWidth: 1.5, strokeDasharray: dash });
  return [
    // Only where replicates differ: a zero-length bar on a one-value scale would span the whole plot.
    Plot.ruleX(
      points.filter((p) => p.max > p.min),
      { x: 'x', y1: 'min', y2: 'max', stroke: 'series', strokeOpacity: 0.5 },
    ),
    line(points.filter((p) => !p.control), undefined),
    line(points.filter((p) => p.control), '5 3'),
    Plot.dot(points, { x: 'x', y: 'mean', fill: 'series', r: 3, title: pointTitle(unit) }),
  ];
}

function accuracyPoints(s) {
  const metric = $('accuracy-metric').value;
  // A diverged training has no accuracy to plot; its row is skipped, not drawn as chance.
  const ok = (s.rows ?? []).filter((r) => r.divergedAt == null && finite(r[metric]) && finite(r.weightsRemaining) && r.weightsRemaining > 0);
  const label = (r) => `k=${r.rewindStep} ${r.kind}`;
  const pruned = ok.filter((r) => r.kind !== 'dense');
  const series = new Map(pruned.map((r) => [label(r), { kind: r.kind, group: r.rewindStep }]));
  // As in `rewind report`: the dense trunk is every line's first point; dense nets retrained from W_k
  // are not its replicates and are left out.
  const trunks = ok.filter((r) => r.kind === 'dense' && r.experiment === r.trunk);
  const x = (wr) => Number((100 * wr).toPrecision(6));
  const points = [
    ...pruned.map((r) => ({ series: label(r), kind: r.kind, group: r.rewindStep, x: x(r.weightsRemaining), y: 100 * r[metric], detail: `round ${r.round}` })),
    ...trunks.flatMap((r) => {
      const lines = series.size ? [...series] : [['dense', { kind: 'dense', group: 0 }]];
      return lines.map(([name, s]) => ({ series: name, ...s, x: x(r.weightsRemaining), y: 100 * r[metric], detail: 'dense trunk' }));
    }),
  ];
  return summarize(points);
}

/** Tick at the sparsity levels themselves (evenly spaced on a log axis), thinned to fit the width. */
function sparsityTicks(points, width) {
  const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => b - a);
  const every = Math.ceil(xs.length / Math.max(2, Math.floor(width / 55)));
  return xs.filter((_, i) => i % every === 0);
}

function accuracyPlot(points, width) {
  const xs = points.map((p) => p.x);
  const metric = $('accuracy-metric').value === 'bestAccuracy' ? 'best' : 'final';
  return Plot.plot({
    width,
    height: 300,
    marginLeft: 48,
    x: { type: 'log', reverse: true, domain: [Math.min(...xs) / 1.08, Math.max(...xs) * 1.08], ticks: sparsityTicks(points, width), tickFormat: (d) => `${+d.toPrecision(3)}`, label: 'weights remaining (%)' },
    y: { grid: true, label: `${metric} test accuracy (%)` },
    color: seriesColor(points),
    marks: seriesMarks(points, '% weights'),
  });
}

/** Points against the rewind step k, from the analyses named `names`, by `value(result)`. */
function analysisPoints(s, names, value, seriesOf) {
  return summarize(
    (s.analyses ?? [])
      .filter((a) => names.includes(a.analysis) && finite(a.rewindStep))
      .map((a) => ({ series: seriesOf(a), kind: a.kind ?? 'unknown', group: a.analysis, x: a.rewindStep, y: value(a.result), detail: a.round === undefined ? undefined : `round ${a.round}` }))
      .filter((p) => finite(p.y)),
  );
}

/** Test barriers in %, each point carrying the analysis' stability threshold (in %) for the rule. */
function barrierPoints(s) {
  const result = (s.analyses ?? []).find((a) => a.analysis === 'linear_mode' && finite(a.result?.threshold))?.result;
  const threshold = result ? 100 * result.threshold : DEFAULT_STABLE_BARRIER_PCT;
  const points = analysisPoints(s, ['linear_mode'], (r) => (finite(r?.testBarrier) ? 100 * r.testBarrier : NaN), (a) => a.kind ?? 'unknown');
  return points.map((p) => ({ ...p, threshold }));
}

function distancePoints(s) {
  return analysisPoints(s, ['pruning', 'data_order'], (r) => r?.total?.l2Normalized, (a) => `${a.analysis} ${a.kind ?? 'unknown'}`);
}

/** k on a point scale: rewind steps (0, 100, 2000, …) stay readable however far apart they are. */
function vsRewindPlot(points, width, yLabel, extra) {
  return Plot.plot({
    width,
    height: 300,
    marginLeft: 48,
    x: { type: 'point', domain: [...new Set(points.map((p) => p.x))].sort((a, b) => a - b), label: 'rewind step k', inset: 20 },
    y: { grid: true, zero: true, label: yLabel },
    color: seriesColor(points),
    marks: [...extra, ...seriesMarks(points, ' (k)')],
  });
}

function instabilityPlot(points, width) {
  const threshold = points[0].threshold;
  const rule = [
    Plot.ruleY([threshold], { stroke: '#c0392b', strokeDasharray: '4 3' }),
    Plot.text([`stable below ${+threshold.toPrecision(3)}%`], { y: () => threshold, text: (d) => d, frameAnchor: 'right', textAnchor: 'end', dy: -7, fill: '#c0392b' }),
  ];
  return vsRewindPlot(points, width, 'test error barrier (%)', rule);
}

function distancePlot(points, width) {
  return vsRewindPlot(points, width, 'normalized L2 distance', []);
}

function curvesKey(s) {
  return (s.curves ?? []).map((c) => `${c.experiment}:${c.points.length}:${c.points.at(-1)}`).join('|');
}
const roundLabel = (round) => (round === undefined || round === null ? 'trunk' : `round ${round}`);

function curvePoints(s) {
  return (s.curves ?? []).flatMap((c) =>
    c.points
      .filter(([step, loss]) => finite(step) && finite(loss))
      .map(([step, loss]) => ({ experiment: c.experiment, label: `${roundLabel(c.round)}${c.rewindStep === undefined ? '' : `, k=${c.rewindStep}`}`, round: roundLabel(c.round), step, loss })),
  );
}

/** The trunk grey, then the rounds from dark blue to orange: later rounds (sparser nets) read warmer. */
function roundColors(labels) {
  const rounds = labels.filter((l) => l !== 'trunk').sort(byName);
  const colour = (i) => d3.interpolatePlasma(rounds.length > 1 ? 0.05 + (0.8 * i) / (rounds.length - 1) : 0.05);
  const domain = [...(labels.includes('trunk') ? ['trunk'] : []), ...rounds];
  return { domain, range: domain.map((l) => (l === 'trunk' ? '#7a828c' : colour(rounds.indexOf(l)))) };
}

function curvesPlot(points, width) {
  const positive = points.every((p) => p.loss > 0);
  return Plot.plot({
    width,
    height: 300,
    marginLeft: 48,
    x: { label: 'step' },
    y: { type: positive ? 'log' : 'linear', grid: true, label: 'training loss', tickFormat: '~g' },
    color: { legend: true, type: 'ordinal', ...roundColors([...new Set(points.map((p) => p.round))]) },
    marks: [Plot.line(points, { x: 'step', y: 'loss', z: 'experiment', stroke: 'round', strokeWidth: 1.2, strokeOpacity: 0.85, title: (d) => `${short(d.experiment, 14)} (${d.label})` })],
  });
}

// ---------------------------------------------------------------------------------------------
// Lineage of a ticket: the ticket's weights on the left, branching to its two parents: the mask (and
// the mask's own chain back to the trunk) above, the rewind point W_k (and its chain to init) below.

async function showLineage(ticket) {
  app.selectedMask = ticket.maskId;
  for (const tr of $('tickets').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.mask === ticket.maskId);
  const box = $('lineage');
  const sweep = app.sweepId;
  box.replaceChildren(h('p', { class: 'muted' }, `loading lineage of ${short(ticket.maskId)}…`));
  try {
    const graph = await fetchJson(sweepUrl(sweep, `lineage/${encodeURIComponent(ticket.maskId)}`));
    if (sweep !== app.sweepId || app.selectedMask !== ticket.maskId) return; // another click since
    box.replaceChildren(lineageView(graph, ticket));
  } catch (err) {
    if (sweep === app.sweepId && app.selectedMask === ticket.maskId) box.replaceChildren(h('p', { class: 'error' }, `cannot load lineage: ${err.message}`));
  }
}

function lineageView(graph, ticket) {
  const chain = [...(graph.chain ?? [])];
  const finalId = graph.finalId ?? ticket.finalId;
  // The ticket's own weights: the chain's head if the store put it there, else made from the ticket row.
  const head = chain[0]?.id === finalId ? chain.shift() : undefined;
  const ticketNode = head ?? (finalId ? { id: finalId, kind: 'final', experiment: ticket.experiment, round: ticket.round, rewindStep: ticket.rewindStep } : undefined);
  const maskRow = chain.map((n, i) => nodeBox(n, i === 0 ? 'mask' : undefined));
  const rewind = graph.rewind ?? [];
  const rewindRow = rewind.map((n, i) => nodeBox(n, i === 0 ? 'rewind' : undefined, i === 0 ? `W_k (k=${n.step ?? n.rewindStep ?? '?'})` : undefined));
  // W_k is a snapshot of the dense trunk: the trunk (its experiment) ends the rewind branch.
  const trunk = rewind.at(-1)?.experiment;
  if (trunk) rewindRow.push(nodeBox({ id: trunk, kind: 'trunk', experiment: trunk }, 'trunk', 'trunk'));
  return h(
    'div',
    { class: 'lineage' },
    graph.traceId ? h('p', { class: 'muted mono trace' }, `trace ${graph.traceId}`) : '',
    h(
      'div',
      { class: 'lineage-graph' },
      ticketNode ? h('div', { class: 'lineage-head' }, nodeBox(ticketNode, 'ticket', 'ticket')) : '',
      lineageRow('mask', maskRow),
      rewindRow.length ? lineageRow('rewound to', rewindRow) : '',
    ),
    h('p', { class: 'muted small' }, 'each arrow points from a checkpoint to the one it was derived from'),
  );
}

/** A row of nodes joined by arrows, entered by a labelled edge from the ticket. */
function lineageRow(label, nodes) {
  const arrows = nodes.flatMap((n, i) => (i ? [h('span', { class: 'edge' }, '→'), n] : [n]));
  return h('div', { class: 'lineage-row' }, h('span', { class: 'edge entry' }, h('span', { class: 'edge-label' }, label), '→'), arrows);
}

function nodeBox(n, role, label) {
  const where = [label ? n.kind : '', finite(n.step) ? `step ${n.step}` : '', finite(n.round) ? `round ${n.round}` : '', role !== 'rewind' && finite(n.rewindStep) ? `k=${n.rewindStep}` : '']
    .filter(Boolean)
    .join(' · ');
  return h(
    'div',
    { class: 'node', 'data-node-kind': n.kind, 'data-role': role, title: `${n.id}\nexperiment ${n.experiment ?? '?'}` },
    h('div', { class: 'node-kind' }, label ?? n.kind),
    h('div', { class: 'node-where' }, where || '\u00a0'),
    h('code', {}, role === 'trunk' ? n.id : short(n.id)),
  );
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
