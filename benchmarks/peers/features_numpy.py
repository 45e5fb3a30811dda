"""The standard feature set in numpy: the peer of FeatureBenchmarks.cs (benchmarks/MlOps.Pipelines.Benchmarks).

Usage: features_numpy.py FOLDER ROWS
FOLDER holds n00.f64 .. n19.f64 (float64, NaN when missing), c0.i32 c1.i32 c2.i32 (int32 codes, -1 when missing)
and dictionaries.json ({"c0": [label, ...], ...}), all written by the C# benchmark from the same generated rows.
Reading them is untimed. Fit learns means, deviations of the mean-imputed values, decile edges and vocabularies;
transform writes the 61 columns into a column-major float32 matrix, as ours does. Prints one JSON line:
{"fit_seconds", "transform_seconds", "numpy", "integer_checksum", "absolute_checksum"}.
"""
import json
import os
import sys
import time

import numpy as np


def main():
    folder, rows = sys.argv[1], int(sys.argv[2])
    numeric = [np.fromfile(os.path.join(folder, f"n{c:02d}.f64"), dtype=np.float64, count=rows) for c in range(20)]
    with open(os.path.join(folder, "dictionaries.json"), encoding="utf-8") as f:
        dictionaries = json.load(f)
    categorical = {name: np.fromfile(os.path.join(folder, f"{name}.i32"), dtype=np.int32, count=rows) for name in ("c0", "c1", "c2")}
    probabilities = np.arange(1, 10) / 10

    # ---- fit
    start = time.perf_counter()
    means, stds = [], []
    for x in numeric:
        missing = np.isnan(x)
        mean = float(np.nanmean(x)) if not missing.all() else 0.0
        imputed = np.where(missing, mean, x)
        std = float(np.std(imputed))
        means.append(mean)
        stds.append(std if std > 0 and np.isfinite(std) else 1.0)
    # Deciles of the present values (numpy's default linear interpolation, as ours); tied edges merge.
    edges = []
    for c in range(5, 10):
        e = np.nanquantile(numeric[c], probabilities)
        edges.append(np.unique(e[~np.isnan(e)]))
    # Vocabularies: the labels with at least one row (counting codes, the fast idiom), in label order.
    vocabularies = {}
    for name, codes in categorical.items():
        counts = np.bincount(codes[codes >= 0], minlength=len(dictionaries[name]))
        present = np.flatnonzero(counts)
        vocabularies[name] = sorted(dictionaries[name][i] for i in present)
    fit_seconds = time.perf_counter() - start

    # ---- transform
    start = time.perf_counter()
    width = 20 + 5 + 5 + sum(len(vocabularies[n]) + 1 for n in ("c0", "c1")) + 1
    out = np.empty((rows, width), dtype=np.float32, order="F")
    column = 0
    for c in range(20):
        x = numeric[c]
        z = np.where(np.isnan(x), means[c], x)
        z -= means[c]
        z /= stds[c]
        out[:, column] = z
        column += 1
    for c in range(5):
        x = numeric[c]
        out[:, column] = np.log1p(np.where(np.isnan(x), means[c], x))
        column += 1
    for j, c in enumerate(range(5, 10)):
        x = numeric[c]
        # The number of edges <= x; NaN stays missing.
        bucket = np.searchsorted(edges[j], x, side="right").astype(np.float32)
        bucket[np.isnan(x)] = np.nan
        out[:, column] = bucket
        column += 1
    for name in ("c0", "c1"):
        vocabulary = vocabularies[name]
        index = {label: i for i, label in enumerate(vocabulary)}
        other = len(vocabulary)
        # Per code its slot; the extra last entry is where code -1 (missing) lands, in <other>.
        slots = np.array([index.get(label, other) for label in dictionaries[name]] + [other], dtype=np.int32)
        slot = slots[categorical[name]]
        for k in range(other + 1):
            out[:, column] = slot == k
            column += 1
    vocabulary = vocabularies["c2"]
    index = {label: i for i, label in enumerate(vocabulary)}
    ordinal = np.array([index.get(label, len(vocabulary)) for label in dictionaries["c2"]] + [len(vocabulary)], dtype=np.float32)
    out[:, column] = ordinal[categorical["c2"]]
    column += 1
    transform_seconds = time.perf_counter() - start
    assert column == width

    # Untimed: the checksums the C# benchmark compares with its own.
    integer = 0
    for c in range(25, width):
        integer += int(np.nansum(out[:, c], dtype=np.float64)) * (c + 1)
    absolute = float(sum(np.abs(out[:, c]).sum(dtype=np.float64) for c in range(25)))
    print(json.dumps({
        "fit_seconds": fit_seconds,
        "transform_seconds": transform_seconds,
        "numpy": np.__version__,
        "integer_checksum": integer,
        "absolute_checksum": absolute,
    }))


if __name__ == "__main__":
    main()
