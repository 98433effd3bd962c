// The differential test's reference side: opening_hours.js (the reference implementation of OSM
// opening_hours, pinned in package.json) against what hours-probe says Sportello answers.
// Run with TZ=Europe/Rome: the reference evaluates in the process's local time.
//
//   node compare.js extract < file.opl            opening_hours values of an OPL dump, one a line
//   node compare.js examples                      the values the reference's own README shows that it accepts
//   node compare.js moments FROM DAYS             the moments to ask about (UTC seconds)
//   node compare.js compare FROM DAYS OURS.jsonl  compares; exit 1 on any wrong answer
//
// A wrong answer: a value the reference refuses that we accept, an interval of the window that
// differs (start, end, open or unknown, the value's own comment), or a moment at which the state
// or the announced change differs. Values we refuse that the reference accepts are listed: they
// reach no kiosk (the build stops at their file:line), so they are refusals, not wrong answers.
// Where the reference contradicts itself (its getState against its getOpenIntervals at the same
// moment) and we agree with one of its two answers, the moment is listed, not counted. Where
// the reference is wrong on its own terms, reference-bugs.txt says so, value by value, with the
// moments and the reason; an entry that no longer disagrees fails the test too.
'use strict';
const fs = require('fs');
const OpeningHours = require('opening_hours');

const kHorizon = 14 * 86400;                    // content::open_state announces changes this far
const nominatim = { lat: 41.9, lon: 12.5, address: { country_code: 'it', state: 'Lazio' } };

function localMidnight(date, days) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y, m - 1, d + days, 0, 0, 0).getTime() / 1000;
}

function extract() {
  const seen = new Set();
  const text = fs.readFileSync(0, 'utf8');
  // OPL escapes every special character as %hex%: opening_hours=Mo-Fr%20%09:00-12:00
  for (const m of text.matchAll(/(?:^| |,)opening_hours=([^, \n]*)/gm)) {
    const v = m[1].replace(/%([0-9a-fA-F]+)%/g, (_, h) => String.fromCodePoint(parseInt(h, 16)));
    if (v && !seen.has(v) && !v.includes('\n')) { seen.add(v); console.log(v); }
  }
}

// The reference ships no test suite in its npm package; its README walks through the syntax it
// supports, a value in backquotes at each step. Those it accepts are its own examples, read from
// the installed package at test time (its text stays out of this repository).
function examples() {
  const path = require('path');
  const readme = path.join(path.dirname(require.resolve('opening_hours')), '..', 'README.md');
  const seen = new Set();
  for (const m of fs.readFileSync(readme, 'utf8').matchAll(/`([^`\n]+)`/g)) {
    const v = m[1].trim();
    if (seen.has(v)) continue;
    seen.add(v);
    try {
      new OpeningHours(v, nominatim, { mode: 0 });
    } catch (e) {
      continue;
    }
    console.log(v);
  }
}

function moments(from, days) {
  const out = new Set();
  const start = localMidnight(from, 0), end = localMidnight(from, days);
  // Around every local midnight of the window: just before, at, just after, and the small hours.
  for (let d = 0; d < days; d++) {
    const t = localMidnight(from, d);
    for (const off of [-60, -1, 0, 1, 60, 3600 + 1800, 9000]) out.add(t + off);
  }
  // Every 30 minutes of the Italian holidays, the DST change days and month boundaries in the
  // window, and of the days either side of them.
  const special = [];
  const [y0] = from.split('-').map(Number);
  for (const y of [y0, y0 + 1]) {
    for (const md of ['01-01', '01-06', '04-25', '05-01', '06-02', '08-15', '10-04', '11-01', '12-08', '12-25', '12-26']) special.push(`${y}-${md}`);
    for (let mo = 1; mo <= 12; mo++) special.push(`${y}-${String(mo).padStart(2, '0')}-01`);
  }
  special.push('2027-03-28', '2027-03-29', '2027-10-31', '2026-04-06', '2027-03-28');   // DST, Easter Monday 2027
  for (const s of special)
    for (let d = -1; d <= 1; d++) {
      const t = localMidnight(s, d);
      for (let k = 0; k < 48; k++) out.add(t + k * 1800);
    }
  // And a fixed pseudo-random scatter over the window.
  let seed = 12345;
  for (let i = 0; i < 300; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    out.add(start + (seed % (end - start)));
  }
  for (const t of [...out].filter(t => t >= start && t < end).sort((a, b) => a - b)) console.log(t);
}

// Merges touching intervals of the same state (and, with keepComment, the same comment).
function merge(list, keepComment) {
  const out = [];
  for (const [a, b, u, c] of list) {
    const last = out[out.length - 1];
    if (last && last[1] === a && last[2] === u && (!keepComment || last[3] === c)) last[1] = b;
    else out.push([a, b, u, keepComment ? c : '']);
  }
  return out;
}

function reference(value, from, to, holidayNames) {
  let oh;
  try {
    oh = new OpeningHours(value, nominatim, { mode: 0 });
  } catch (e) {
    return { ok: false, error: String(e).split('\n')[0] };
  }
  // The reference names the holiday as the comment of a PH rule; KOpeningHours gives the value's
  // own comments only. Holiday names are not part of the comparison.
  let raw;
  try {
    raw = oh.getOpenIntervals(new Date(from * 1000), new Date(to * 1000));
  } catch (e) {
    return { ok: false, error: String(e).split('\n')[0] };   // it parses, but cannot be evaluated
  }
  const iv = raw.map(([a, b, u, c]) => [
    Math.round(a.getTime() / 1000), Math.round(b.getTime() / 1000), !!u,
    c && !holidayNames.has(c) ? c : '']);
  return { ok: true, oh, iv: merge(iv, true) };
}

// What content::open_state announces at t, from intervals merged by state alone.
function announce(stretches, t, windowEnd) {
  for (const [a, b, u] of stretches) {
    if (t < a) return ['closed', a - t > kHorizon || a >= windowEnd ? -1 : a];
    if (t < b) return [u ? 'unknown' : 'open', b >= windowEnd || b - t > kHorizon ? -1 : b];
  }
  return ['closed', -1];
}

function compare(from, days, oursPath) {
  const start = localMidnight(from, 0), end = localMidnight(from, days);
  const ph = new OpeningHours('PH', nominatim, { mode: 0 });
  const holidayNames = new Set(ph.getOpenIntervals(new Date(start * 1000), new Date(end * 1000)).map(x => x[3]));
  const lines = fs.readFileSync(oursPath, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l));
  const fmt = t => new Date(t * 1000).toISOString().replace('.000', '');
  let wrong = 0, agreeRefused = 0, weRefuse = 0, compared = 0, moments = 0, contradicts = 0, known = 0;
  const report = [];
  // reference-bugs.txt: "value<TAB>from<TAB>to<TAB>reason", times as ISO UTC.
  const bugs = new Map();
  for (const line of fs.readFileSync(__dirname + '/reference-bugs.txt', 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [v, a, b, why] = line.split('\t');
    bugs.set(v, { from: Date.parse(a) / 1000, to: Date.parse(b) / 1000, why, seen: false });
  }
  const inBug = (v, a, b) => { const g = bugs.get(v); return g && a >= g.from && b <= g.to ? (g.seen = true) : false; };
  for (const ours of lines) {
    const ref = reference(ours.v, start, end, holidayNames);
    if (!ref.ok && !ours.ok) { agreeRefused++; continue; }
    if (!ref.ok && ours.ok) { wrong++; report.push(`WRONG accepted, the reference refuses: ${ours.v}\n    reference: ${ref.error}`); continue; }
    if (!ours.ok) { weRefuse++; report.push(`refused by us only: ${ours.v}\n    ours: ${ours.error}`); continue; }
    compared++;
    const a = JSON.stringify(ours.iv.map(x => [x[0], x[1], x[2], x[3]])), b = JSON.stringify(ref.iv);
    let bad = [];
    if (a !== b) {
      // Intervals present on one side only, compared as sets (one shifted interval is one difference).
      const key = x => JSON.stringify(x);
      const rs = new Set(ref.iv.map(key)), os = new Set(ours.iv.map(key));
      const onlyOurs = ours.iv.filter(x => !rs.has(key(x))), onlyRef = ref.iv.filter(x => !os.has(key(x)));
      const n = Math.max(onlyOurs.length, onlyRef.length);
      for (let i = 0; i < n && bad.length < 3; i++) {
        const o = onlyOurs[i], r = onlyRef[i];
        if (inBug(ours.v, Math.min(o ? o[0] : Infinity, r ? r[0] : Infinity), Math.max(o ? o[1] : 0, r ? r[1] : 0))) { known++; continue; }
          bad.push(`interval ${i}: ours ${o ? `${fmt(o[0])}..${fmt(o[1])} ${o[2] ? 'unknown' : 'open'} "${o[3]}"` : '-'}` +
                   ` reference ${r ? `${fmt(r[0])}..${fmt(r[1])} ${r[2] ? 'unknown' : 'open'} "${r[3]}"` : '-'}`);
      }
    }
    const stretches = merge(ref.iv, false);
    for (const [t, state, change] of ours.at) {
      moments++;
      const [rs, rc] = announce(stretches, t, end);
      // The reference's own point query must agree with its intervals.
      const d = new Date(t * 1000);
      const direct = ref.oh.getState(d) ? 'open' : ref.oh.getUnknown(d) ? 'unknown' : 'closed';
      if (direct !== rs && (state === rs || state === direct)) {
        contradicts++;
        report.push(`reference contradicts itself: ${ours.v} at ${fmt(t)}: getState ${direct}, getOpenIntervals ${rs}; ours ${state}`);
        continue;
      }
      if ((state !== rs || change !== rc) && inBug(ours.v, t, t)) { known++; continue; }
      if ((state !== rs || change !== rc) && bad.length < 6)
        bad.push(`at ${fmt(t)}: ours ${state} change ${change < 0 ? 'none' : fmt(change)}, reference ${rs} change ${rc < 0 ? 'none' : fmt(rc)}`);
    }
    if (bad.length) { wrong++; report.push(`WRONG ${ours.v}\n    ${bad.join('\n    ')}`); }
  }
  for (const [v, g] of bugs)
    if (g.seen) report.push(`known reference bug: ${v}: ${g.why}`);
    else { wrong++; report.push(`WRONG stale entry of reference-bugs.txt (no disagreement left): ${v}`); }
  for (const r of report) console.log(r);
  console.log(`values ${lines.length}: compared ${compared} (${moments} moments), refused by both ${agreeRefused}, ` +
              `refused by us only ${weRefuse}, wrong ${wrong}; moments where the reference contradicts itself ${contradicts}, ` +
              `differences listed in reference-bugs.txt ${known}`);
  process.exit(wrong ? 1 : 0);
}

const [cmd, ...args] = process.argv.slice(2);
if (process.env.TZ !== 'Europe/Rome') { console.error('run with TZ=Europe/Rome'); process.exit(2); }
if (cmd === 'extract') extract();
else if (cmd === 'examples') examples();
else if (cmd === 'moments') moments(args[0], Number(args[1]));
else if (cmd === 'compare') compare(args[0], Number(args[1]), args[2]);
else { console.error('usage: see the top of compare.js'); process.exit(2); }
