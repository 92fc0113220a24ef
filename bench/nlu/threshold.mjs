#!/usr/bin/env node
// threshold.mjs — the one out-of-scope threshold tuner in bench/nlu/compare.sh.
//
//   node threshold.mjs VALID.tsv VALID_RAW.txt TEST_RAW.txt > TEST_LABELS.txt
//
// *_RAW.txt: one `label<TAB>confidence` line per input line (the system's top
// label and its confidence, no threshold of its own applied). The rule is
// "predict `oos` when confidence < t, else the top label" (the top label may be
// `oos` itself, learnt from the training data). t is chosen on the validation
// split to maximise in-scope accuracy + oos recall there (the two figures the
// CLINC150 paper reports; valid has 3,000 in-scope and 100 oos examples, so
// plain accuracy would all but ignore oos). Ties go to the smallest t.
// Writes the thresholded test labels to stdout and `{"threshold":…, valid
// figures}` as JSON to stderr.
import { readLabels, score, OOS } from './score.mjs';
import { readFileSync } from 'node:fs';

function readRaw(path) {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => {
    const [label, conf] = l.split('\t');
    const c = Number(conf);
    if (!Number.isFinite(c)) throw new Error(`${path}: no confidence in line: ${l.slice(0, 60)}`);
    return { label: label.trim(), conf: c };
  });
}

const apply = (raw, t) => raw.map((r) => (r.conf < t ? OOS : r.label));

const [validTsv, validRaw, testRaw] = process.argv.slice(2);
if (!testRaw) {
  process.stderr.write('usage: node threshold.mjs VALID.tsv VALID_RAW.txt TEST_RAW.txt\n');
  process.exit(2);
}
let gold, vraw, traw;
try {
  gold = readLabels(validTsv);
  vraw = readRaw(validRaw);
  traw = readRaw(testRaw);
  if (gold.length !== vraw.length) throw new Error(`valid has ${gold.length} lines, predictions ${vraw.length}`);
} catch (e) {
  process.stderr.write(`threshold.mjs: ${e.message}\n`);
  process.exit(1);
}

// Candidates: 0 (no threshold) and just above every distinct confidence seen.
const confs = [...new Set(vraw.map((r) => r.conf))].sort((a, b) => a - b);
const candidates = [0, ...confs.map((c) => c + 1e-9)];
let best = null;
for (const t of candidates) {
  const s = score(gold, apply(vraw, t));
  const obj = s.in_scope_accuracy + s.oos_recall;
  if (!best || obj > best.obj + 1e-12) best = { t, obj, s };
}
process.stdout.write(apply(traw, best.t).join('\n') + '\n');
process.stderr.write(
  JSON.stringify({
    threshold: Number(best.t.toPrecision(6)),
    valid_in_scope_accuracy: best.s.in_scope_accuracy,
    valid_oos_recall: best.s.oos_recall,
  }) + '\n',
);
