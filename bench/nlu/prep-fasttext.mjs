#!/usr/bin/env node
// prep-fasttext.mjs — turns `label<TAB>text` lines into fastText input.
//
//   node prep-fasttext.mjs en|zh labelled|text < IN > OUT
//
// labelled: `__label__LABEL tokens…`; text: `tokens…` only, reading either
// `label<TAB>text` or plain text lines (a line with a tab is taken as TSV).
// Every input line gives exactly one output line.
//   en  NFKC, lower case, punctuation split off as its own token (as in the
//       fastText text-classification tutorial), whitespace-separated words.
//   zh  NFKC, lower case, then every non-space character is a token, plus the
//       bigram of every two adjacent characters (within a whitespace-free run),
//       written as `AB`. "fastText on character bigrams": unigrams + bigrams,
//       trained with -wordNgrams 1 since the bigrams are already there.
import { createInterface } from 'node:readline';

const [mode, kind] = process.argv.slice(2);
if (!['en', 'zh'].includes(mode) || !['labelled', 'text'].includes(kind)) {
  process.stderr.write('usage: node prep-fasttext.mjs en|zh labelled|text < IN > OUT\n');
  process.exit(2);
}

function tokensEn(text) {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' $& ')
    .split(/\s+/)
    .filter(Boolean);
}

function tokensZh(text) {
  const out = [];
  const bigrams = [];
  for (const run of text.normalize('NFKC').toLowerCase().split(/\s+/)) {
    const chars = Array.from(run);
    for (let i = 0; i < chars.length; i++) {
      out.push(chars[i]);
      if (i + 1 < chars.length) bigrams.push(chars[i] + chars[i + 1]);
    }
  }
  return out.concat(bigrams);
}

const tokenize = mode === 'en' ? tokensEn : tokensZh;
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
const buf = [];
const flush = () => {
  if (buf.length) {
    process.stdout.write(buf.join('\n') + '\n');
    buf.length = 0;
  }
};
rl.on('line', (line) => {
  const tab = line.indexOf('\t');
  const label = tab < 0 ? null : line.slice(0, tab);
  const text = tab < 0 ? line : line.slice(tab + 1);
  // fastText drops empty lines from its output; keep one token so lines stay aligned.
  const toks = tokenize(text);
  const body = toks.length ? toks.join(' ') : '<empty>';
  if (kind === 'labelled') {
    if (label === null) throw new Error('labelled mode needs label<TAB>text lines');
    buf.push(`__label__${label} ${body}`);
  } else {
    buf.push(body);
  }
  if (buf.length >= 4096) flush();
});
rl.on('close', flush);
