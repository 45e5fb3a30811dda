"""Gradient-boosted trees in XGBoost and scikit-learn: the peers of TreeBenchmarks.cs (benchmarks/MlOps.Pipelines.Benchmarks).

Usage: gbdt_peers.py FOLDER [--threads N] [--peers xgboost,sklearn]
FOLDER holds header.json ({"train_rows", "test_rows", "features", "names", "categorical"}), X_train.f32 and X_test.f32
(float32, row-major, NaN when missing) and y_train.f32, y_test.f32 (0/1 as float32), all written by the C# benchmark
from the same rows. "categorical" lists the columns holding category codes (integers 0 ... 253, NaN for a category
unseen in training); it may be absent or empty. Reading the files is untimed. Each peer fits binary logistic trees
with the benchmark's settings (100 rounds, depth 6, learning rate 0.3, 256 bins, no early stopping) on N threads,
once untimed on a small slice first (thread pools, first allocations), then timed on all rows; fit_seconds covers
everything from the numpy arrays to the fitted model (XGBoost's DMatrix and its quantile sketch included, as our
binning is in ours). AUC is on the test rows.

Configurations: "xgboost" (hist, every column numeric: category codes as numbers), "xgboost_categorical" (hist with
the categorical columns in its native categorical mode; only when there are categorical columns) and "sklearn"
(HistGradientBoostingClassifier, categorical_features = the categorical columns; max_leaf_nodes=None so that depth 6
bounds the trees as in the others, not scikit-learn's default 31 leaves).
Prints one JSON line: {"xgboost": {"auc", "fit_seconds", "version"}, "xgboost_categorical": {...}, "sklearn": {...}}.
"""
import json
import os
import sys
import time

WARM_ROWS = 10_000


def main():
    folder = sys.argv[1]
    threads = int(_option("--threads", "2"))
    peers = _option("--peers", "xgboost,sklearn").split(",")
    # OpenMP reads this when the library loads: set it before importing sklearn (XGBoost takes nthread).
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import numpy as np

    with open(os.path.join(folder, "header.json"), encoding="utf-8") as f:
        header = json.load(f)
    features = header["features"]
    categorical = header.get("categorical") or []

    def load(name, rows, width):
        return np.fromfile(os.path.join(folder, name), dtype=np.float32, count=rows * width).reshape(rows, width) if width > 1 \
            else np.fromfile(os.path.join(folder, name), dtype=np.float32, count=rows)

    x_train = load("X_train.f32", header["train_rows"], features)
    y_train = load("y_train.f32", header["train_rows"], 1)
    x_test = load("X_test.f32", header["test_rows"], features)
    y_test = load("y_test.f32", header["test_rows"], 1)
    results = {}

    def run(name, fit, predict, version):
        fit(x_train[:WARM_ROWS], y_train[:WARM_ROWS], 5)
        start = time.perf_counter()
        model = fit(x_train, y_train, 100)
        fit_seconds = time.perf_counter() - start
        p = predict(model, x_test)
        results[name] = {"auc": _roc_auc(y_test, np.asarray(p, dtype=np.float64)), "fit_seconds": fit_seconds, "version": version}

    if "xgboost" in peers:
        import xgboost as xgb
        params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6, "eta": 0.3, "max_bin": 256,
                  "nthread": threads, "verbosity": 0}
        configurations = [("xgboost", None)]
        if categorical:
            configurations.append(("xgboost_categorical", ["c" if c in categorical else "q" for c in range(features)]))
        for name, types in configurations:
            def fit(x, y, rounds, types=types):
                dtrain = xgb.DMatrix(x, label=y, nthread=threads, feature_types=types, enable_categorical=types is not None)
                return xgb.train(params, dtrain, num_boost_round=rounds)

            def predict(booster, x, types=types):
                return booster.predict(xgb.DMatrix(x, nthread=threads, feature_types=types, enable_categorical=types is not None))

            run(name, fit, predict, xgb.__version__)

    if "sklearn" in peers:
        import sklearn
        from sklearn.ensemble import HistGradientBoostingClassifier

        def fit(x, y, rounds):
            return HistGradientBoostingClassifier(max_iter=rounds, max_depth=6, max_leaf_nodes=None, learning_rate=0.3, max_bins=255,
                                                  categorical_features=categorical or None, early_stopping=False,
                                                  random_state=0).fit(x, y)

        run("sklearn", fit, lambda model, x: model.predict_proba(x)[:, 1], sklearn.__version__)

    print(json.dumps(results))


def _roc_auc(labels, scores):
    """ROC-AUC as the Mann-Whitney statistic, ties at their average rank (scikit-learn's roc_auc_score, without needing it)."""
    import numpy as np
    order = np.argsort(scores, kind="mergesort")
    _, inverse, counts = np.unique(scores[order], return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0  # ranks from 1
    ranks = np.empty(len(scores))
    ranks[order] = average_rank[inverse]
    positive = labels == 1
    n1 = int(positive.sum())
    n0 = len(labels) - n1
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def _option(name, default):
    args = sys.argv[2:]
    return args[args.index(name) + 1] if name in args else default


if __name__ == "__main__":
    main()
