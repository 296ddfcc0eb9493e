"use strict";
// The dashboard: prices and counters from /api/events (server-sent events),
// the catalog from /api/status, and the SQL console over /api/query.

const $ = (id) => document.getElementById(id);
const num = new Intl.NumberFormat("en-US");
const MAX_POINTS = 1200; // five minutes of 250 ms points per symbol
const COLORS = ["#2563eb", "#dc6803", "#039855", "#7a5af8", "#dd2590", "#0e9384", "#b54708", "#444ce7"];

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function bytes(n) {
  const u = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return (i ? n.toFixed(1) : n) + " " + u[i];
}

// ---- prices ----------------------------------------------------------------

const charts = new Map(); // symbol -> {u, xs, ys, card, price, dirty}

function chartWidth() {
  const grid = $("charts");
  const cols = Math.max(1, Math.floor(grid.clientWidth / 260));
  return Math.floor((grid.clientWidth - (cols - 1) * 10) / cols) - 14;
}

function chartFor(sym) {
  let c = charts.get(sym);
  if (c) return c;
  $("no-ticks").hidden = true;
  const price = el("span", { class: "price" });
  const target = el("div");
  const card = el("div", { class: "chart", "data-symbol": sym, "data-points": "0" },
    el("div", { class: "title" }, el("b", { title: sym }, sym), price), target);
  // Keep the cards in symbol order.
  const after = [...charts.keys()].filter((s) => s > sym).sort()[0];
  $("charts").insertBefore(card, after ? charts.get(after).card : null);
  c = { xs: [], ys: [], card, price, dirty: false };
  c.u = new uPlot({
    width: chartWidth(), height: 110,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [{ size: 24, font: "10px system-ui", grid: { stroke: "#f0f1f3" } },
           { size: 48, font: "10px system-ui", grid: { stroke: "#f0f1f3" } }],
    series: [{}, { label: sym, stroke: COLORS[charts.size % COLORS.length], width: 1.5, points: { show: false } }],
  }, [[], []], target);
  charts.set(sym, c);
  return c;
}

// addPoints appends [ms, price] points to a symbol's series; a point not
// after the last one (a page reconnecting gets the history again) is skipped.
function addPoints(sym, points) {
  const c = chartFor(sym);
  for (const [ms, p] of points) {
    const t = ms / 1000;
    if (c.xs.length && t <= c.xs[c.xs.length - 1]) continue;
    c.xs.push(t);
    c.ys.push(p);
  }
  if (c.xs.length > MAX_POINTS) {
    c.xs.splice(0, c.xs.length - MAX_POINTS);
    c.ys.splice(0, c.ys.length - MAX_POINTS);
  }
  c.dirty = true;
}

function addFrame(frame) {
  for (const [sym, points] of Object.entries(frame)) addPoints(sym, points);
}

// onSymbols drops the charts of symbols that stopped ticking and says how
// many symbols the server does not chart.
function onSymbols(ev) {
  for (const sym of ev.expired) {
    const c = charts.get(sym);
    if (!c) continue;
    c.u.destroy();
    c.card.remove();
    charts.delete(sym);
  }
  $("uncharted").hidden = !ev.uncharted;
  $("uncharted").textContent = ev.uncharted ? num.format(ev.uncharted) + " more symbols not charted: at most " + ev.max_symbols + " charts, the first symbols seen" : "";
}

// Charts are redrawn at most once a frame, whatever the rate of events.
function redraw() {
  for (const c of charts.values()) {
    if (!c.dirty) continue;
    c.dirty = false;
    c.u.setData([c.xs, c.ys]);
    c.card.dataset.points = String(c.xs.length);
    if (c.ys.length) c.price.textContent = c.ys[c.ys.length - 1].toFixed(2);
  }
  requestAnimationFrame(redraw);
}
requestAnimationFrame(redraw);

window.addEventListener("resize", () => {
  const w = chartWidth();
  for (const c of charts.values()) c.u.setSize({ width: w, height: 110 });
});

// ---- counters --------------------------------------------------------------

let prevStats = null;
let lastOffsets = null; // shown, marked stale, while the offsets cannot be read
let streamOpen = false;

// showConn says whether the page is live: the stream open and Kafka's
// offsets read.
function showConn(kafkaError) {
  const live = streamOpen && !kafkaError;
  $("conn").textContent = !streamOpen ? "reconnecting…" : kafkaError ? "Kafka not answering" : "live";
  $("conn").classList.toggle("live", live);
}

function tile(name, value, label, warn) {
  return el("div", { class: "tile" + (warn ? " warn" : ""), "data-name": name },
    el("span", { class: "v" }, value), el("span", { class: "k" }, label));
}

function renderStats(s) {
  const tiles = [];
  const stale = !s.offsets && lastOffsets !== null;
  const o = s.offsets || lastOffsets;
  if (s.offsets) lastOffsets = s.offsets;
  const now = Date.now() / 1000;
  if (o) {
    let ends = 0, committed = 0, lag = 0;
    for (const p of o.partitions) { ends += p.end; committed += Math.max(p.committed, p.start); lag += p.lag; }
    let inRate = "", outRate = "";
    if (!stale && prevStats && prevStats.o && now > prevStats.at) {
      const dt = now - prevStats.at;
      inRate = num.format(Math.round((ends - prevStats.ends) / dt)) + "/s";
      outRate = num.format(Math.round((committed - prevStats.committed) / dt)) + "/s";
    }
    // A rate needs two readings of new offsets: keep the older one until
    // the offsets change (they are read about as often as stats come).
    if (!prevStats || !prevStats.o || prevStats.ends !== ends || prevStats.committed !== committed || now - prevStats.at > 10) {
      prevStats = { o: true, at: now, ends, committed };
    }
    tiles.push(tile("in-topic", num.format(ends), "records in the topic"),
      tile("committed", num.format(committed), "stored and committed"),
      tile("lag", num.format(lag), "lag (not stored yet)", lag > 0 && lag > ends * 0.5),
      tile("in-rate", inRate || "–", "produced"),
      tile("out-rate", outRate || "–", "stored"));
    const rows = o.partitions.map((p) => el("tr", {}, el("td", { class: "num" }, p.partition), el("td", { class: "num" }, num.format(p.start)),
      el("td", { class: "num" }, num.format(p.end)), el("td", { class: "num" }, p.committed < 0 ? "–" : num.format(p.committed)),
      el("td", { class: "num" }, num.format(p.lag))));
    $("partitions").replaceChildren(
      el("thead", {}, el("tr", {}, ...["partition", "start", "end", "committed (" + o.group + ")", "lag"].map((h) => el("th", { class: "num" }, h)))),
      el("tbody", {}, ...rows));
  }
  $("offsets-error").hidden = !s.offsets_error;
  $("offsets-error").textContent = s.offsets_error ? (stale ? "Kafka's offsets as last read; now: " : "") + s.offsets_error : "";
  $("counters").classList.toggle("stale", stale);
  $("partitions").classList.toggle("stale", stale);
  showConn(s.offsets_error);
  const c = s.counters;
  if (c && c.has_sink) {
    tiles.push(tile("objects", num.format(c.objects), "objects written"),
      tile("bytes", bytes(c.bytes), "bytes written"),
      tile("dead-letters", num.format(c.dead_letters), "dead letters", c.dead_letters > 0),
      tile("freshness", c.freshness ? (c.freshness / 1e9).toFixed(2) + " s" : "–", "freshness: age of the newest stored"));
  }
  if (c && c.has_producer && c.produce_failed > 0) tiles.push(tile("produce-failed", num.format(c.produce_failed), "not delivered", true));
  $("counters").replaceChildren(...tiles);
}

// ---- the stream ------------------------------------------------------------

function connect() {
  const es = new EventSource("api/events");
  es.addEventListener("prices", (e) => addFrame(JSON.parse(e.data)));
  es.addEventListener("ticks", (e) => addFrame(JSON.parse(e.data)));
  es.addEventListener("symbols", (e) => onSymbols(JSON.parse(e.data)));
  es.addEventListener("stats", (e) => renderStats(JSON.parse(e.data)));
  es.onopen = () => { streamOpen = true; showConn(""); };
  es.onerror = () => { streamOpen = false; showConn(""); };
}

// ---- catalog -----------------------------------------------------------------

async function refreshCatalog() {
  try {
    const r = await fetch("api/status", { cache: "no-store" });
    const st = await r.json();
    if (!r.ok) throw new Error(st.error || r.statusText);
    renderCatalog(st);
  } catch (err) {
    $("catalog").textContent = "Could not read the catalog: " + err.message;
  }
}

function renderCatalog(st) {
  $("catalog-note").textContent = "database " + st.database + (st.catalog_error ? " — " + st.catalog_error : "");
  if (!st.tables.length) {
    $("catalog").textContent = "No tables yet: a crawl makes them (a run crawls at its end; or pipeline crawl).";
  } else {
    const head = ["table", "format", "columns", "rows (last crawl)", "objects", "size", "partitions", "location"];
    const rows = st.tables.map((t) => el("tr", { "data-table": t.name },
      el("td", {}, el("b", {}, t.name)), el("td", {}, t.format), el("td", { class: "num" }, t.columns),
      el("td", { class: "num" }, t.rows < 0 ? "–" : (t.rows_estimated ? "~" : "") + num.format(t.rows)),
      // null: the folder could not be listed; "?" rather than 0.
      el("td", { class: "num" + (t.objects == null ? " warn" : ""), title: t.list_error || "" }, t.objects == null ? "?" : num.format(t.objects)),
      el("td", { class: "num" + (t.bytes == null ? " warn" : "") }, t.bytes == null ? "?" : bytes(t.bytes)),
      el("td", {}, t.partitions.length <= 4 ? t.partitions.join(", ") || "–" : t.partitions[0] + " … " + t.partitions[t.partitions.length - 1] + " (" + t.partitions.length + ")"),
      el("td", {}, el("code", {}, t.location))));
    $("catalog").replaceChildren(el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))), el("tbody", {}, ...rows)));
    $("catalog").classList.remove("muted");
  }
  const errs = st.tables.filter((t) => t.list_error).map((t) => t.name + ": " + t.list_error);
  $("catalog-error").hidden = !errs.length;
  $("catalog-error").textContent = errs.join("\n");
  const dl = st.dead_letters;
  if (dl.objects == null) {
    $("dead-letters").replaceChildren(el("div", { class: "error" }, "Not listed: " + dl.error));
  } else if (!dl.objects) {
    $("dead-letters").textContent = "None in " + dl.location;
  } else {
    $("dead-letters").replaceChildren(
      el("div", {}, num.format(dl.records) + " records in " + num.format(dl.objects) + " objects under " + dl.location),
      el("table", {}, el("tbody", {}, ...dl.reasons.map((r) => el("tr", {}, el("td", { class: "num" }, num.format(r.count)), el("td", {}, el("code", { title: r.example }, r.reason)))))));
  }
}

// ---- SQL console -------------------------------------------------------------

const NUMERIC = /^(tinyint|smallint|integer|bigint|real|double|decimal)/;
const TEMPORAL = /^(date|timestamp)/;
let resultChart = null;

async function runQuery(ev) {
  ev.preventDefault();
  const sql = $("sql").value;
  $("run").disabled = true;
  $("query-info").textContent = "running…";
  try {
    const r = await fetch("api/query", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ sql }) });
    const res = await r.json();
    if (!r.ok || res.error) {
      showError(res.error || r.statusText);
      return;
    }
    $("query-error").hidden = true;
    let info = num.format(res.rows.length) + (res.truncated ? "+ rows (the first " + num.format(res.rows.length) + (res.too_big ? ", about as much as a page holds" : "") + ")" : " rows") + " in " + res.elapsed_ms.toFixed(0) + " ms";
    if (res.cut_values) info += "; long values cut (…)";
    $("query-info").textContent = info;
    renderResult(res);
  } catch (err) {
    showError("The dashboard did not answer: " + err.message);
  } finally {
    $("run").disabled = false;
  }
}

function showError(msg) {
  $("query-error").textContent = msg;
  $("query-error").hidden = false;
  $("query-info").textContent = "";
  $("query-result").replaceChildren();
  clearChart();
}

function clearChart() {
  if (resultChart) { resultChart.destroy(); resultChart = null; }
  $("query-chart").replaceChildren();
  delete $("query-chart").dataset.kind;
}

function renderResult(res) {
  const cols = res.columns;
  const head = el("tr", {}, ...cols.map((c) => el("th", { class: NUMERIC.test(c.type) ? "num" : "", title: c.type }, c.name)));
  const body = res.rows.map((row) => el("tr", {}, ...row.map((v, i) =>
    el("td", { class: NUMERIC.test(cols[i].type) ? "num" : "" }, v === null ? "NULL" : typeof v === "number" ? num.format(v) : v))));
  $("query-result").replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, ...body)));
  renderChart(res);
}

// renderChart draws the result where it fits a chart: numbers over a time
// or number first column as lines, numbers by a text first column (at most
// 50 rows) as bars.
function renderChart(res) {
  clearChart();
  const cols = res.columns, rows = res.rows;
  if (rows.length < 2 || cols.length < 2) return;
  let ys = cols.map((c, i) => i).filter((i) => i > 0 && NUMERIC.test(cols[i].type)).slice(0, 4);
  if (!ys.length) return;
  const first = cols[0].type;
  let kind, xs, labels = null;
  let order = rows.map((_, i) => i);
  if (TEMPORAL.test(first) || NUMERIC.test(first)) {
    kind = "line";
    const x = (v) => TEMPORAL.test(first) ? Date.parse(v) / 1000 : Number(v);
    order = order.filter((i) => rows[i][0] !== null).sort((a, b) => x(rows[a][0]) - x(rows[b][0]));
    xs = order.map((i) => x(rows[i][0]));
  } else if (rows.length <= 50) {
    kind = "bar";
    ys = ys.slice(0, 1); // one bar a row: the first number
    labels = rows.map((r) => String(r[0]));
    xs = rows.map((_, i) => i);
  } else {
    return;
  }
  const data = [xs, ...ys.map((c) => order.map((i) => rows[i][c] === null ? null : Number(rows[i][c])))];
  const target = $("query-chart");
  target.dataset.kind = kind;
  const series = [{}, ...ys.map((c, k) => ({
    label: cols[c].name, stroke: COLORS[k % COLORS.length], width: 1.5,
    fill: kind === "bar" ? COLORS[k % COLORS.length] + "99" : undefined,
    paths: kind === "bar" ? uPlot.paths.bars({ size: [0.6, 60] }) : undefined,
    points: { show: kind === "line" && xs.length < 60 },
  }))];
  const axes = [{ font: "11px system-ui" }, { font: "11px system-ui", size: 60 }];
  const scales = { x: { time: kind === "line" && TEMPORAL.test(first) } };
  if (kind === "bar") {
    axes[0].splits = () => xs;
    axes[0].values = (u, splits) => splits.map((i) => labels[i] ?? "");
    axes[0].gap = 4;
    scales.x.range = () => [-0.6, xs.length - 0.4];
    scales.y = { range: (u, min, max) => [Math.min(0, min), max * 1.05] };
  }
  resultChart = new uPlot({ width: Math.min(target.clientWidth || 800, 1100), height: 240, series, axes, scales,
    legend: { show: ys.length > 1 } }, data, target);
}

$("query-form").addEventListener("submit", runQuery);
$("sql").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) runQuery(e);
});

// ---- start -------------------------------------------------------------------

(async function start() {
  const info = await (await fetch("api/info", { cache: "no-store" })).json();
  $("topic").textContent = info.topic || "";
  $("console").hidden = !info.console;
  $("prices-panel").hidden = !info.prices;
  connect();
  refreshCatalog();
  setInterval(refreshCatalog, 5000);
})();
