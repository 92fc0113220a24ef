#!/usr/bin/env node
// train-eval.mjs — NLP.js peer for bench/nlu/compare.sh.
//
//   node train-eval.mjs --train TRAIN.tsv --test TEST.tsv --lang en|zh
//        [--valid VALID.tsv] [--pred PRED.txt] [--raw RAW.txt] [--valid-raw VRAW.txt]
//        [--force-choice]
//
// Trains a node-nlp NlpManager (its default NLU: the @nlpjs/neural classifier
// over stemmed tokens, threshold 0.5) on TRAIN, one addDocument per line, then
// processes every TEST line one at a time in a single-threaded loop.
//   --pred       the intent NLP.js returns, `None` (below its threshold, or its
//                None class) written as `oos`; with --force-choice the best
//                non-None class instead (for tasks without an out-of-scope class)
//   --raw        `top-label<TAB>score` of the best non-None classification, no
//                threshold: the input of ../threshold.mjs
//   --valid-raw  the same for VALID
// Prints one JSON object: the ../score.mjs figures of --pred plus
// train_seconds, predictions_per_second, none_predictions, answered_accuracy.
// With --force-choice a None whose classifications hold no other class (every
// perceptron output 0) stays a wrong answer, written as `oos`.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { readTsv, score, OOS } from '../score.mjs';

// stdout is for the JSON result only: @nlpjs/lang-zh prints "Compiling dictionary"
// with console.log while it loads.
console.log = (...a) => console.error(...a);
const require = createRequire(import.meta.url);
const { NlpManager } = require('node-nlp');

function parseArgs(argv) {
  const a = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (!k.startsWith('--')) throw new Error(`unexpected argument ${k}`);
    const name = k.slice(2);
    if (name === 'force-choice') a.forceChoice = true;
    else a[name] = argv[++i];
  }
  for (const r of ['train', 'test', 'lang']) if (!a[r]) throw new Error(`--${r} is required`);
  return a;
}

const args = parseArgs(process.argv.slice(2));
const lang = args.lang;
const train = readTsv(args.train);
const test = readTsv(args.test);

const manager = new NlpManager({
  languages: [lang],
  autoSave: false,
  autoLoad: false,
  calculateSentiment: false, // its lexicon sentiment is not what is measured here
  nlu: { log: false },
});
for (const ex of train) manager.addDocument(lang, ex.text, ex.label);

const t0 = process.hrtime.bigint();
await manager.train();
const trainSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

function topNonNone(res) {
  const c = (res.classifications || []).find((x) => x.intent !== 'None');
  return c ? { label: c.intent, score: c.score } : { label: OOS, score: 0 };
}

async function run(rows) {
  const out = [];
  for (const ex of rows) out.push(await manager.process(lang, ex.text));
  return out;
}

const t1 = process.hrtime.bigint();
const results = await run(test);
const predSeconds = Number(process.hrtime.bigint() - t1) / 1e9;

let none = 0;
let answeredCorrect = 0;
const pred = results.map((r, i) => {
  if (r.intent === 'None' || !r.intent) {
    none++;
    return args.forceChoice ? topNonNone(r).label : OOS;
  }
  if (r.intent === test[i].label) answeredCorrect++;
  return r.intent;
});
if (args.pred) writeFileSync(args.pred, pred.join('\n') + '\n');
const rawLine = (r) => {
  const t = topNonNone(r);
  return `${t.label}\t${t.score}`;
};
if (args.raw) writeFileSync(args.raw, results.map(rawLine).join('\n') + '\n');
if (args.valid && args['valid-raw']) {
  const valid = readTsv(args.valid);
  writeFileSync(args['valid-raw'], (await run(valid)).map(rawLine).join('\n') + '\n');
}

const s = score(
  test.map((e) => e.label),
  pred,
);
process.stdout.write(
  JSON.stringify({
    system: 'nlp.js',
    node_nlp: require('node-nlp/package.json').version,
    lang,
    ...s,
    train_examples: train.length,
    train_seconds: trainSeconds,
    predictions_per_second: test.length / predSeconds,
    none_predictions: none,
    // accuracy over the test examples it did not answer None for
    answered_accuracy: test.length > none ? answeredCorrect / (test.length - none) : 0,
  }) + '\n',
);
