#!/usr/bin/env node
// table.mjs — rows and tables for bench/nlu/compare.sh.
//
//   node table.mjs row --name NAME --gold GOLD.tsv --pred PRED.txt
//                      --train-s SECONDS --pred-s PER_SECOND [--note TEXT]
//       scores PRED against GOLD with score.mjs, prints one JSON row
//   node table.mjs na --name NAME --note TEXT      a row with no figures
//   node table.mjs print --title TITLE --kind intent|sentiment ROWS.jsonl
//       the table, then each row's note
import { readFileSync } from 'node:fs';
import { readLabels, score } from './score.mjs';

function opts(argv) {
  const o = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) o[argv[i].slice(2)] = argv[++i];
    else o._.push(argv[i]);
  }
  return o;
}

const num = (s) => (s === undefined || s === '' ? null : Number(s));
const [cmd, ...rest] = process.argv.slice(2);
const o = opts(rest);

if (cmd === 'row') {
  const s = score(readLabels(o.gold), readLabels(o.pred, { tsv: false }));
  const row = { name: o.name, ...s, train_seconds: num(o['train-s']), predictions_per_second: num(o['pred-s']) };
  if (o.note) row.note = o.note;
  process.stdout.write(JSON.stringify(row) + '\n');
} else if (cmd === 'na') {
  process.stdout.write(JSON.stringify({ name: o.name, na: true, note: o.note || 'not available' }) + '\n');
} else if (cmd === 'print') {
  const rows = readFileSync(o._[0], 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const pct = (x) => (x === undefined || x === null ? '—' : (100 * x).toFixed(1) + '%');
  const f1 = (x) => (x === undefined || x === null ? '—' : x.toFixed(3));
  const sec = (x) => (x === null || x === undefined ? '—' : x.toFixed(1));
  const rate = (x) => (x === null || x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
  const cols =
    o.kind === 'intent'
      ? [
          ['in-scope acc', (r) => pct(r.in_scope_accuracy)],
          ['oos recall', (r) => pct(r.oos_recall)],
          ['accuracy', (r) => pct(r.accuracy)],
          ['macro-F1', (r) => f1(r.macro_f1)],
          ['train s', (r) => sec(r.train_seconds)],
          ['pred/s', (r) => rate(r.predictions_per_second)],
        ]
      : [
          ['accuracy', (r) => pct(r.accuracy)],
          ['macro-F1', (r) => f1(r.macro_f1)],
          ['train s', (r) => sec(r.train_seconds)],
          ['pred/s', (r) => rate(r.predictions_per_second)],
        ];
  const w0 = Math.max(o.title.length, ...rows.map((r) => r.name.length)) + 2;
  const ws = cols.map(([h]) => Math.max(h.length, 9) + 2);
  const line = (first, cells) => first.padEnd(w0) + cells.map((c, i) => c.padStart(ws[i])).join('');
  const out = [line(o.title, cols.map(([h]) => h))];
  for (const r of rows) {
    if (r.na) out.push(r.name.padEnd(w0) + '  ' + r.note);
    else out.push(line(r.name, cols.map(([, f]) => f(r))));
  }
  const notes = rows.filter((r) => r.note && !r.na);
  for (const r of notes) out.push(`  ${r.name}: ${r.note}`);
  process.stdout.write(out.join('\n') + '\n');
} else {
  process.stderr.write('usage: node table.mjs row|na|print …\n');
  process.exit(2);
}
