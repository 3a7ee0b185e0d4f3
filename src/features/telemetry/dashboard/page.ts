/** The dashboard's page and script: plain HTML, CSS and JS, no framework, no build step. */

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>erlmcp dashboard</title>
<link rel="icon" href="data:,">
<style>
  :root { font: 14px/1.4 system-ui, sans-serif; color: #1d2430; background: #f4f6f9; }
  body { margin: 0 auto; padding: 16px 24px; max-width: 1100px; }
  h1 { font-size: 18px; margin: 0 0 12px; } h2 { font-size: 14px; margin: 18px 0 6px; color: #4a5568; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
  .card { background: #fff; border-radius: 8px; padding: 10px 14px; box-shadow: 0 1px 2px #0001; }
  .card b { display: block; font-size: 24px; font-variant-numeric: tabular-nums; }
  .card span { color: #667085; font-size: 12px; }
  canvas { width: 100%; height: 140px; background: #fff; border-radius: 8px; box-shadow: 0 1px 2px #0001; }
  table { width: 100%; border-collapse: collapse; background: #fff; border-radius: 8px; overflow: hidden; box-shadow: 0 1px 2px #0001; }
  th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #eef0f3; font-variant-numeric: tabular-nums; }
  th { background: #f9fafb; font-weight: 600; color: #4a5568; } td.n, th.n { text-align: right; }
  .err { color: #b42318; } #status { font-size: 12px; color: #667085; float: right; }
</style>
</head>
<body>
<h1>erlmcp <span id="status">connecting…</span></h1>
<div class="cards">
  <div class="card"><b id="sessions">–</b><span id="sessions-label">sessions live</span></div>
  <div class="card"><b id="rps">–</b><span>requests/s</span></div>
  <div class="card"><b id="total">–</b><span>requests</span></div>
  <div class="card"><b id="errors">–</b><span>errors</span></div>
  <div class="card"><b id="inflight">–</b><span>in flight</span></div>
  <div class="card"><b id="nodes">–</b><span>cluster nodes</span></div>
</div>
<h2>Requests/s (last 2 minutes)</h2>
<canvas id="chart" width="1000" height="140"></canvas>
<h2>Sessions opened by transport</h2>
<div id="transports">–</div>
<h2>Methods</h2>
<table><thead><tr><th>method</th><th class="n">requests</th><th class="n">errors</th><th class="n">p50 ms</th><th class="n">p99 ms</th></tr></thead><tbody id="methods"></tbody></table>
<h2>Tools</h2>
<table><thead><tr><th>tool</th><th class="n">calls</th><th class="n">errors</th><th class="n">p50 ms</th><th class="n">p99 ms</th></tr></thead><tbody id="tools"></tbody></table>
<h2>Recent errors</h2>
<table><thead><tr><th>time</th><th>method</th><th>target</th><th>type</th><th>message</th></tr></thead><tbody id="recent"></tbody></table>
<script src="dashboard/app.js"></script>
</body>
</html>
`;

export const DASHBOARD_JS = `'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const history = [];
  let last;
  const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; };
  const ms = (v) => (v < 10 ? v.toFixed(2) : v.toFixed(0));
  function rows(tbody, items) {
    tbody.replaceChildren(...items.map((r) => {
      const tr = document.createElement('tr');
      tr.append(cell(r.name), cell(String(r.count), 'n'), cell(String(r.errors), r.errors ? 'n err' : 'n'), cell(ms(r.p50), 'n'), cell(ms(r.p99), 'n'));
      return tr;
    }));
  }
  function draw() {
    const c = $('chart');
    const g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    if (history.length < 2) return;
    const max = Math.max(1, ...history);
    g.strokeStyle = '#2563eb';
    g.lineWidth = 2;
    g.beginPath();
    history.forEach((v, i) => {
      const x = (i / 119) * (c.width - 10) + 5;
      const y = c.height - 10 - (v / max) * (c.height - 30);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
    g.fillStyle = '#667085';
    g.font = '12px system-ui';
    g.fillText('max ' + max.toFixed(1) + '/s', 8, 14);
  }
  function show(s) {
    const rps = last ? Math.max(0, (s.requests - last.requests) / Math.max(0.001, (s.at - last.at) / 1000)) : 0;
    last = s;
    history.push(rps);
    if (history.length > 120) history.shift();
    $('sessions').textContent = String(s.sessions);
    $('rps').textContent = rps.toFixed(1);
    $('total').textContent = String(s.requests);
    $('errors').textContent = String(s.errors);
    $('inflight').textContent = String(s.inFlight);
    // Without a node count (Redis heartbeats), the worker processes whose figures these are.
    $('nodes').textContent = String(s.nodes ?? s.workers ?? 1);
    const t = Object.entries(s.sessionsOpenedByTransport);
    $('transports').textContent = t.length ? t.map(([k, v]) => k + ': ' + v).join('   ') : 'none yet';
    rows($('methods'), s.methods);
    rows($('tools'), s.tools);
    $('recent').replaceChildren(...s.recentErrors.map((e) => {
      const tr = document.createElement('tr');
      tr.append(cell(new Date(e.at).toLocaleTimeString()), cell(e.method), cell(e.target || ''), cell(e.type, 'err'), cell(e.message));
      return tr;
    }));
    draw();
  }
  const events = new EventSource('dashboard/events');
  let workers = 0;
  const status = () => { $('status').textContent = workers > 1 ? 'live, ' + workers + ' workers' : 'live'; };
  events.onopen = status;
  events.onerror = () => { $('status').textContent = 'reconnecting…'; };
  events.onmessage = (m) => {
    const s = JSON.parse(m.data);
    if ((s.workers || 0) !== workers) {
      workers = s.workers || 0;
      status();
      // Each worker counts the sessions it holds: with Redis stores one session can be held by several.
      $('sessions-label').textContent = workers > 1 ? 'sessions held, summed over workers' : 'sessions live';
    }
    show(s);
  };
})();
`;
