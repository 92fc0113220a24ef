/*
 * model_format.h — kefu's model file format (".kfm"), version 2 (25 Nov 2026:
 * version 1 had no block alignment and a byte-wise checksum).
 *
 * A model file is self-describing and checked as a whole before use:
 *
 *   offset  size  what
 *   0       8     magic "KEFUMDL\0"
 *   8       4     format version (u32, little-endian) = 1
 *   12      4     number of metadata entries M (u32)
 *   16      ...   M entries: u32 key length, key bytes, u32 value length,
 *                 value bytes (UTF-8 text; no NUL)
 *           ...   blocks, in this order, each starting with a u32 tag and a
 *                 u64 byte length, preceded by 0-7 zero bytes so that the
 *                 block's data starts at a multiple of 8 in the file (the
 *                 loader maps the file and uses the blocks in place):
 *                   'LABL'  u32 count, then per label u32 length + bytes
 *                   'HASH'  u64 feature hashes, ascending (nfeat of them)
 *                   'WGHT'  f32 weights, feature-major: w[f * nclass + c]
 *                   'BIAS'  f32 per class
 *   end-8   8     checksum of every byte before it: FNV-1a 64 taken over
 *                 64-bit little-endian words (the last one zero-padded)
 *
 * Metadata keys written by kefu 0.1 (readers ignore unknown keys):
 *   kind        "linear-classifier"
 *   task        intent | sentiment | spam | anger | ...
 *   features    "w=1 b=1 c=3-5 h=3" (see features.h)
 *   probability "ovr-logistic": p_c = sigmoid(w_c·x + b_c), normalised
 *   oos_label   label used for out-of-scope ("" if none)
 *   oos_threshold  below this top probability the decision is oos_label
 *   trained_on  "N examples, K labels"; created  ISO 8601 time
 *
 * The loader rejects: a wrong magic or version, a checksum mismatch, a
 * truncated block, counts that disagree between blocks, hashes out of order,
 * and non-finite weights — each with a message naming the file.
 */
#ifndef KEFU_MODEL_FORMAT_H
#define KEFU_MODEL_FORMAT_H

#define KF_MODEL_MAGIC "KEFUMDL"
#define KF_MODEL_VERSION 2u
#define KF_MODEL_TAG(a, b, c, d) \
    ((unsigned)(a) | ((unsigned)(b) << 8) | ((unsigned)(c) << 16) | ((unsigned)(d) << 24))
#define KF_MODEL_MAX_BYTES ((unsigned long long)1 << 31)

#endif
