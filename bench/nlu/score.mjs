#!/usr/bin/env node
// score.mjs — the one scorer every system in bench/nlu/compare.sh goes through.
//
//   node score.mjs GOLD.tsv PRED.txt [--name NAME]
//
// GOLD.tsv is the test split (`label<TAB>text`); PRED.txt has one line per test
// line whose first tab-separated field is the predicted label (so `label`,
// `label<TAB>confidence` and `kefu predict` output all work). Prints one JSON
// object:
//   examples, accuracy,
//   macro_f1           — mean over the labels that occur in GOLD of per-label F1
//                        (a predicted label that never occurs in GOLD only costs
//                        precision/recall of the labels it was confused with),
//   in_scope_accuracy  — only when GOLD has label `oos`: accuracy over the
//                        examples whose gold label is not `oos` (predicting `oos`
//                        for them is wrong),
//   oos_recall         — only when GOLD has `oos`: share of gold-`oos` examples
//                        predicted `oos`,
//   oos_precision      — only when GOLD has `oos`.
// Systems map their own "no intent" answer (NLP.js's `None`) to `oos` before
// writing PRED.txt; the scorer does not guess.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const OOS = 'oos';

export function readLabels(path, { tsv = true } = {}) {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => {
    const tab = l.indexOf('\t');
    if (tsv && tab < 0) throw new Error(`${path}: line without a tab: ${l.slice(0, 40)}`);
    return (tab < 0 ? l : l.slice(0, tab)).trim();
  });
}

export function readTsv(path) {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => {
    const tab = l.indexOf('\t');
    if (tab < 0) throw new Error(`${path}: line without a tab`);
    return { label: l.slice(0, tab), text: l.slice(tab + 1) };
  });
}

export function score(gold, pred) {
  if (gold.length !== pred.length) {
    throw new Error(`gold has ${gold.length} lines, predictions ${pred.length}`);
  }
  const n = gold.length;
  const labels = new Set(gold);
  const tp = new Map();
  const goldCount = new Map();
  const predCount = new Map();
  let correct = 0;
  let inScope = 0;
  let inScopeCorrect = 0;
  let oos = 0;
  let oosHit = 0;
  let predOos = 0;
  for (let i = 0; i < n; i++) {
    const g = gold[i];
    const p = pred[i];
    goldCount.set(g, (goldCount.get(g) || 0) + 1);
    predCount.set(p, (predCount.get(p) || 0) + 1);
    if (g === p) {
      correct++;
      tp.set(g, (tp.get(g) || 0) + 1);
    }
    if (p === OOS) predOos++;
    if (g === OOS) {
      oos++;
      if (p === OOS) oosHit++;
    } else {
      inScope++;
      if (g === p) inScopeCorrect++;
    }
  }
  let f1sum = 0;
  for (const l of labels) {
    const t = tp.get(l) || 0;
    const pc = predCount.get(l) || 0;
    const gc = goldCount.get(l) || 0;
    const prec = pc ? t / pc : 0;
    const rec = gc ? t / gc : 0;
    f1sum += prec + rec > 0 ? (2 * prec * rec) / (prec + rec) : 0;
  }
  const out = {
    examples: n,
    labels: labels.size,
    accuracy: n ? correct / n : 0,
    macro_f1: labels.size ? f1sum / labels.size : 0,
  };
  if (labels.has(OOS)) {
    out.in_scope_accuracy = inScope ? inScopeCorrect / inScope : 0;
    out.oos_recall = oos ? oosHit / oos : 0;
    out.oos_precision = predOos ? oosHit / predOos : 0;
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.length < 2) {
    process.stderr.write('usage: node score.mjs GOLD.tsv PRED.txt\n');
    process.exit(2);
  }
  const gold = readLabels(args[0]);
  const pred = readLabels(args[1], { tsv: false });
  process.stdout.write(JSON.stringify(score(gold, pred)) + '\n');
}
