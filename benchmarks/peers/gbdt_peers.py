"""Gradient-boosted trees in XGBoost and scikit-learn: the peers of TreeBenchmarks.cs (benchmarks/MlOps.Pipelines.Benchmarks).

Usage: gbdt_peers.py FOLDER [--threads N] [--peers xgboost,sklearn]
FOLDER holds header.json ({"train_rows", "test_rows", "features", "names"}), X_train.f32 and X_test.f32 (float32,
row-major, NaN when missing) and y_train.f32, y_test.f32 (0/1 as float32), all written by the C# benchmark from the
same generated rows. Reading them is untimed. Each peer fits binary logistic trees with the benchmark's settings
(100 rounds, depth 6, learning rate 0.3, 256 bins, no early stopping) on N threads; fit_seconds covers everything
from the numpy arrays to the fitted model (XGBoost's DMatrix and its quantile sketch included, as our binning is in
ours). AUC is on the test rows. Prints one JSON line: {"xgboost": {"auc", "fit_seconds", "version"}, "sklearn": {...}}.
"""
import json
import os
import sys
import time


def main():
    folder = sys.argv[1]
    threads = int(_option("--threads", "2"))
    peers = _option("--peers", "xgboost,sklearn").split(",")
    # OpenMP reads this when the library loads: set it before importing sklearn (XGBoost takes nthread).
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import numpy as np
    from sklearn.metrics import roc_auc_score

    with open(os.path.join(folder, "header.json"), encoding="utf-8") as f:
        header = json.load(f)
    features = header["features"]

    def load(name, rows, width):
        return np.fromfile(os.path.join(folder, name), dtype=np.float32, count=rows * width).reshape(rows, width) if width > 1 \
            else np.fromfile(os.path.join(folder, name), dtype=np.float32, count=rows)

    x_train = load("X_train.f32", header["train_rows"], features)
    y_train = load("y_train.f32", header["train_rows"], 1)
    x_test = load("X_test.f32", header["test_rows"], features)
    y_test = load("y_test.f32", header["test_rows"], 1)
    results = {}

    if "xgboost" in peers:
        import xgboost as xgb
        params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6, "eta": 0.3, "max_bin": 256,
                  "nthread": threads, "verbosity": 0}
        start = time.perf_counter()
        dtrain = xgb.DMatrix(x_train, label=y_train, nthread=threads)
        booster = xgb.train(params, dtrain, num_boost_round=100)
        fit_seconds = time.perf_counter() - start
        p = booster.predict(xgb.DMatrix(x_test, nthread=threads))
        results["xgboost"] = {"auc": float(roc_auc_score(y_test, p)), "fit_seconds": fit_seconds, "version": xgb.__version__}

    if "sklearn" in peers:
        import sklearn
        from sklearn.ensemble import HistGradientBoostingClassifier
        model = HistGradientBoostingClassifier(max_iter=100, max_depth=6, learning_rate=0.3, max_bins=255,
                                               early_stopping=False, random_state=0)
        start = time.perf_counter()
        model.fit(x_train, y_train)
        fit_seconds = time.perf_counter() - start
        p = model.predict_proba(x_test)[:, 1]
        results["sklearn"] = {"auc": float(roc_auc_score(y_test, p)), "fit_seconds": fit_seconds, "version": sklearn.__version__}

    print(json.dumps(results))


def _option(name, default):
    args = sys.argv[2:]
    return args[args.index(name) + 1] if name in args else default


if __name__ == "__main__":
    main()
