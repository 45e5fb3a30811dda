namespace MlOps.Pipelines.ML.Training.Linear;

/// <summary>A smooth function to minimise: its value at x, with its gradient written to the second array.</summary>
internal delegate double Objective(double[] x, double[] gradient);

/// <summary>How <see cref="Lbfgs"/> ended.</summary>
/// <param name="Iterations">Iterations completed (each one accepted step).</param>
/// <param name="Converged">A tolerance was met (rather than the iteration limit or a failed line search).</param>
/// <param name="Value">The objective at the returned point.</param>
internal readonly record struct LbfgsResult(int Iterations, bool Converged, double Value);

/// <summary>
/// Limited-memory BFGS (Nocedal and Wright, Numerical Optimization, 2nd ed., algorithm 7.4) with a line search that
/// finds a step satisfying the strong Wolfe conditions (algorithms 3.5 and 3.6, cubic interpolation). Stops as
/// SciPy's L-BFGS-B does for an unconstrained problem: the largest gradient component at most
/// <see cref="GradientTolerance"/> (pgtol), or a relative decrease of the objective at most
/// <see cref="RelativeTolerance"/> (factr × machine epsilon), or <see cref="MaxIterations"/>.
/// Every operation is sequential: the same objective gives the same iterates.
/// </summary>
internal sealed class Lbfgs
{
    const double SufficientDecrease = 1e-4; // c1
    const double Curvature = 0.9;           // c2: the usual choice for quasi-Newton directions
    const int MaxEvaluationsPerSearch = 20; // SciPy's maxls

    public int Memory { get; init; } = 10;
    public int MaxIterations { get; init; } = 100;
    public double GradientTolerance { get; init; } = 1e-4;

    /// <summary>SciPy's default factr 1e7 times the double epsilon.</summary>
    public double RelativeTolerance { get; init; } = 2.220446049250313e-9;

    /// <summary>
    /// Minimises <paramref name="objective"/> from <paramref name="x"/>, which is overwritten by the minimiser.
    /// <paramref name="iterationDone"/> gets (iteration, value) after every accepted step.
    /// </summary>
    public LbfgsResult Minimize(Objective objective, double[] x, Action<int, double>? iterationDone, CancellationToken cancellation)
    {
        var n = x.Length;
        var g = new double[n];
        var f = objective(x, g);
        if (!double.IsFinite(f)) throw new ArithmeticException("The objective is not finite at the starting point.");
        if (MaxAbs(g) <= GradientTolerance) return new LbfgsResult(0, true, f);

        var s = new double[Memory][];
        var y = new double[Memory][];
        var rho = new double[Memory];
        var alpha = new double[Memory];
        for (var i = 0; i < Memory; i++)
        {
            s[i] = new double[n];
            y[i] = new double[n];
        }
        var stored = 0;
        var newest = -1;
        var d = new double[n];
        var search = new LineSearch(objective, n);

        for (var iteration = 1; ; iteration++)
        {
            cancellation.ThrowIfCancellationRequested();
            // Two-loop recursion: d = −H g, with H₀ = (sᵀy / yᵀy) I from the newest pair.
            for (var i = 0; i < n; i++) d[i] = -g[i];
            for (var m = 0; m < stored; m++)
            {
                var k = (newest - m + Memory) % Memory;
                alpha[k] = rho[k] * Dot(s[k], d);
                Axpy(-alpha[k], y[k], d);
            }
            if (stored > 0)
            {
                var gamma = Dot(s[newest], y[newest]) / Dot(y[newest], y[newest]);
                for (var i = 0; i < n; i++) d[i] *= gamma;
            }
            for (var m = stored - 1; m >= 0; m--)
            {
                var k = (newest - m + Memory) % Memory;
                var beta = rho[k] * Dot(y[k], d);
                Axpy(alpha[k] - beta, s[k], d);
            }
            var slope = Dot(g, d);
            if (!(slope < 0))
            {
                // Not a descent direction (rounding in a flat region): forget the curvature pairs, go down the gradient.
                stored = 0;
                for (var i = 0; i < n; i++) d[i] = -g[i];
                slope = Dot(g, d);
            }
            // Without curvature information the direction's scale is unknown: a first step of unit length (as SciPy).
            var step = stored == 0 ? 1 / Math.Sqrt(Dot(d, d)) : 1;
            if (!search.Run(x, f, g, d, slope, step)) return new LbfgsResult(iteration - 1, false, f);

            newest = (newest + 1) % Memory;
            for (var i = 0; i < n; i++)
            {
                s[newest][i] = search.X[i] - x[i];
                y[newest][i] = search.Gradient[i] - g[i];
            }
            var sy = Dot(s[newest], y[newest]);
            // Strong Wolfe steps give sᵀy > 0; a pair without positive curvature would spoil H, so it is dropped.
            if (sy > 1e-10 * Dot(y[newest], y[newest]))
            {
                rho[newest] = 1 / sy;
                stored = Math.Min(stored + 1, Memory);
            }
            else newest = (newest - 1 + Memory) % Memory;

            var previous = f;
            f = search.Value;
            search.X.CopyTo(x, 0);
            search.Gradient.CopyTo(g, 0);
            iterationDone?.Invoke(iteration, f);
            if (MaxAbs(g) <= GradientTolerance) return new LbfgsResult(iteration, true, f);
            if ((previous - f) / Math.Max(Math.Max(Math.Abs(previous), Math.Abs(f)), 1) <= RelativeTolerance) return new LbfgsResult(iteration, true, f);
            if (iteration >= MaxIterations) return new LbfgsResult(iteration, false, f);
        }
    }

    internal static double MaxAbs(double[] values)
    {
        double max = 0;
        foreach (var v in values) max = Math.Max(max, Math.Abs(v));
        return max;
    }

    static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    static void Axpy(double a, double[] x, double[] y)
    {
        for (var i = 0; i < y.Length; i++) y[i] += a * x[i];
    }

    /// <summary>Strong Wolfe line search along d from x: bracket, then zoom by safeguarded cubic interpolation.</summary>
    sealed class LineSearch(Objective objective, int n)
    {
        readonly double[] _trial = new double[n];
        readonly double[] _trialGradient = new double[n];
        readonly double[] _low = new double[n];
        readonly double[] _lowGradient = new double[n];

        /// <summary>The accepted point, its gradient and value.</summary>
        public double[] X { get; } = new double[n];
        public double[] Gradient { get; } = new double[n];
        public double Value { get; private set; }

        double[] _x = [], _d = [];
        int _evaluations;

        public bool Run(double[] x, double f0, double[] g0, double[] d, double slope0, double step)
        {
            _x = x;
            _d = d;
            _evaluations = 0;
            // "low" is the best point with sufficient decrease so far; it starts at x itself (step 0).
            var low = new Point(0, f0, slope0);
            x.CopyTo(_low, 0);
            g0.CopyTo(_lowGradient, 0);
            var previous = low;
            while (_evaluations < MaxEvaluationsPerSearch)
            {
                var trial = Evaluate(step);
                if (!double.IsFinite(trial.Value) || trial.Value > f0 + SufficientDecrease * step * slope0 || (_evaluations > 1 && trial.Value >= previous.Value))
                    return Zoom(low, trial, f0, slope0);
                if (Math.Abs(trial.Slope) <= -Curvature * slope0) return Accept(trial.Value, _trial, _trialGradient);
                KeepLow();
                if (trial.Slope >= 0) return Zoom(trial, previous, f0, slope0);
                low = previous = trial;
                step *= 2;
            }
            return low.Step > 0 && Accept(low.Value, _low, _lowGradient);
        }

        bool Zoom(Point low, Point high, double f0, double slope0)
        {
            while (_evaluations < MaxEvaluationsPerSearch && Math.Abs(high.Step - low.Step) > 1e-15 * Math.Max(low.Step, high.Step))
            {
                var trial = Evaluate(Interpolate(low, high));
                if (!double.IsFinite(trial.Value) || trial.Value > f0 + SufficientDecrease * trial.Step * slope0 || trial.Value >= low.Value)
                    high = trial;
                else
                {
                    if (Math.Abs(trial.Slope) <= -Curvature * slope0) return Accept(trial.Value, _trial, _trialGradient);
                    if (trial.Slope * (high.Step - low.Step) >= 0) high = low;
                    low = trial;
                    KeepLow();
                }
            }
            // Out of evaluations: a step with sufficient decrease still makes progress.
            return low.Step > 0 && Accept(low.Value, _low, _lowGradient);
        }

        Point Evaluate(double step)
        {
            _evaluations++;
            for (var i = 0; i < _trial.Length; i++) _trial[i] = _x[i] + step * _d[i];
            var value = objective(_trial, _trialGradient);
            return new Point(step, value, Dot(_trialGradient, _d));
        }

        void KeepLow()
        {
            _trial.CopyTo(_low, 0);
            _trialGradient.CopyTo(_lowGradient, 0);
        }

        bool Accept(double value, double[] x, double[] gradient)
        {
            x.CopyTo(X, 0);
            gradient.CopyTo(Gradient, 0);
            Value = value;
            return true;
        }

        /// <summary>The minimiser of the cubic through both points' values and slopes, kept inside the middle 80% of the interval.</summary>
        static double Interpolate(Point a, Point b)
        {
            double lo = Math.Min(a.Step, b.Step), hi = Math.Max(a.Step, b.Step), width = hi - lo;
            var d1 = a.Slope + b.Slope - 3 * (a.Value - b.Value) / (a.Step - b.Step);
            var radicand = d1 * d1 - a.Slope * b.Slope;
            var step = lo + width / 2;
            if (radicand >= 0 && double.IsFinite(b.Value))
            {
                var d2 = Math.Sign(b.Step - a.Step) * Math.Sqrt(radicand);
                var cubic = b.Step - (b.Step - a.Step) * (b.Slope + d2 - d1) / (b.Slope - a.Slope + 2 * d2);
                if (double.IsFinite(cubic)) step = cubic;
            }
            return Math.Clamp(step, lo + 0.1 * width, hi - 0.1 * width);
        }

        readonly record struct Point(double Step, double Value, double Slope);
    }
}
