"""Logistic regression in scikit-learn (solver lbfgs): the peer of LinearBenchmarks.cs (benchmarks/MlOps.Pipelines.Benchmarks).

Usage: linear_peers.py FOLDER --case binary|multinomial [--threads N] [--c C] [--max-iter N] [--tol T]
FOLDER holds header.json ({"train_rows", "test_rows", "features", "classes"}), X_train.f32 and X_test.f32 (float32,
row-major) and the labels as float32: y2_train.f32, y2_test.f32 (0/1) and y3_train.f32, y3_test.f32 (class indices),
all written by the C# benchmark from the same generated rows. Reading them is untimed. fit_seconds covers
LogisticRegression.fit on the float32 array (its conversion to float64 included, as our fit reads float32).
Prints one JSON line: {"sklearn": {"auc" or "log_loss" and "accuracy", "fit_seconds", "iterations", "converged",
"version"}}, or
{"skipped": reason} when scikit-learn is not installed.
"""
import json
import os
import sys
import time


def main():
    folder = sys.argv[1]
    case = _option("--case", "binary")
    threads = _option("--threads", "2")
    # BLAS and OpenMP read these when the libraries load: set them before importing numpy and sklearn.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = threads
    try:
        import numpy as np
        import sklearn
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
    except ImportError as e:
        print(json.dumps({"skipped": f"scikit-learn not importable ({e}); Debian's python3-sklearn provides it"}))
        return

    with open(os.path.join(folder, "header.json"), encoding="utf-8") as f:
        header = json.load(f)
    features = header["features"]

    def matrix(name, rows):
        return np.fromfile(os.path.join(folder, name), dtype=np.float32, count=rows * features).reshape(rows, features)

    def labels(name, rows):
        return np.fromfile(os.path.join(folder, name), dtype=np.float32, count=rows).astype(np.int64)

    prefix = "y2" if case == "binary" else "y3"
    x_train = matrix("X_train.f32", header["train_rows"])
    x_test = matrix("X_test.f32", header["test_rows"])
    y_train = labels(f"{prefix}_train.f32", header["train_rows"])
    y_test = labels(f"{prefix}_test.f32", header["test_rows"])

    model = LogisticRegression(C=float(_option("--c", "1.0")), solver="lbfgs", max_iter=int(_option("--max-iter", "100")),
                               tol=float(_option("--tol", "1e-4")))
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(x_train, y_train)
        fit_seconds = time.perf_counter() - start
    p = model.predict_proba(x_test)
    result = {"fit_seconds": fit_seconds, "iterations": int(np.max(model.n_iter_)), "version": sklearn.__version__,
              "converged": not any(issubclass(w.category, ConvergenceWarning) for w in caught)}
    if case == "binary":
        result["auc"] = float(roc_auc_score(y_test, p[:, 1]))
    else:
        result["log_loss"] = float(log_loss(y_test, p))
        result["accuracy"] = float(accuracy_score(y_test, np.argmax(p, axis=1)))
    print(json.dumps({"sklearn": result}))


def _option(name, default):
    args = sys.argv[2:]
    return args[args.index(name) + 1] if name in args else default


if __name__ == "__main__":
    main()
