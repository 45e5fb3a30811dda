using System.Globalization;
using System.Runtime.InteropServices;

namespace MlOps.Pipelines.ML.Training;

/// <summary>
/// Gradient-boosted trees fitted by XGBoost itself (its native library, through the C API, tree_method=hist), with
/// <see cref="GradientBoostedTreesOptions"/> mapped onto XGBoost's parameters of the same meaning. Losses come from
/// XGBoost's own metrics (logloss, rmse, mlogloss); early stopping on the validation set happens here, after each
/// round, and the model keeps the rounds up to the best one.
/// </summary>
/// <param name="options">The settings; <see cref="GradientBoostedTreesOptions.Threads"/> 0 leaves XGBoost's default.</param>
/// <param name="extraParameters">Further XGBoost parameters passed verbatim after the mapped ones (they win), or null.</param>
public sealed class XGBoostTrainer(GradientBoostedTreesOptions options, IReadOnlyDictionary<string, string>? extraParameters = null) : ITrainer
{
    public GradientBoostedTreesOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public IReadOnlyDictionary<string, string> ExtraParameters { get; } = extraParameters ?? new Dictionary<string, string>();

    /// <summary>XGBoost's parameters for <paramref name="options"/>, in the order they are set.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Parameters(GradientBoostedTreesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);
        static string I(long value) => value.ToString(CultureInfo.InvariantCulture);
        var (objective, metric) = options.Objective switch
        {
            BoostingObjective.BinaryLogistic => ("binary:logistic", "logloss"),
            BoostingObjective.SquaredError => ("reg:squarederror", "rmse"),
            BoostingObjective.Softmax => ("multi:softprob", "mlogloss"),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Objective, "Unknown objective."),
        };
        var parameters = new List<KeyValuePair<string, string>>
        {
            new("objective", objective),
            new("eval_metric", metric),
            new("tree_method", "hist"),
        };
        if (options.Objective == BoostingObjective.Softmax) parameters.Add(new("num_class", I(options.NumClasses)));
        else parameters.Add(new("base_score", F(options.BaseScore)));
        parameters.Add(new("max_depth", I(options.MaxDepth)));
        if (options.MaxLeaves > 0)
        {
            parameters.Add(new("grow_policy", "lossguide"));
            parameters.Add(new("max_leaves", I(options.MaxLeaves)));
        }
        else parameters.Add(new("grow_policy", "depthwise"));
        parameters.Add(new("eta", F(options.LearningRate)));
        parameters.Add(new("min_child_weight", F(options.MinChildWeight)));
        parameters.Add(new("lambda", F(options.Lambda)));
        parameters.Add(new("alpha", F(options.Alpha)));
        parameters.Add(new("gamma", F(options.Gamma)));
        parameters.Add(new("subsample", F(options.Subsample)));
        parameters.Add(new("colsample_bytree", F(options.ColSampleByTree)));
        parameters.Add(new("max_bin", I(options.MaxBins)));
        parameters.Add(new("seed", I(unchecked((long)options.Seed))));
        if (options.Threads > 0) parameters.Add(new("nthread", I(options.Threads)));
        return parameters;
    }

    /// <inheritdoc cref="ITrainer.Fit"/>
    /// <exception cref="DllNotFoundException">libxgboost is not installed.</exception>
    /// <exception cref="XGBoostException">XGBoost refused a parameter or the data, with its message.</exception>
    public XGBoostModel Fit(TrainingData data, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        Options.Validate();
        data.Validate();
        XGBoost.EnsureAvailable();

        using var train = XGBoostNative.CreateMatrix(data.Features, data.Labels.Span);
        using var valid = data.ValidationFeatures is null ? null : XGBoostNative.CreateMatrix(data.ValidationFeatures, data.ValidationLabels.Span);
        XGBoostDMatrixHandle[] matrices = valid is null ? [train] : [train, valid];
        using var booster = XGBoostNative.CreateBooster(matrices);
        foreach (var (name, value) in Parameters(Options).Concat(ExtraParameters))
            XGBoostNative.Check(XGBoostNative.BoosterSetParam(booster, name, value), $"XGBoosterSetParam({name}={value})");

        var names = new IntPtr[matrices.Length];
        byte[] buffer;
        try
        {
            names[0] = Marshal.StringToCoTaskMemUTF8("train");
            if (valid is not null) names[1] = Marshal.StringToCoTaskMemUTF8("valid");
            var best = double.PositiveInfinity;
            var bestRound = -1;
            var rounds = 0;
            for (var round = 0; round < Options.Rounds; round++)
            {
                cancellation.ThrowIfCancellationRequested();
                XGBoostNative.Check(XGBoostNative.BoosterUpdateOneIter(booster, round, train), "XGBoosterUpdateOneIter");
                rounds = round + 1;
                var (trainLoss, validLoss) = ParseEvaluation(XGBoostNative.Evaluate(booster, round, matrices, names));
                progress?.Report(new TrainingProgress(round + 1, Options.Rounds, trainLoss) { ValidationLoss = validLoss });
                if (Options.EarlyStoppingRounds is not { } patience || validLoss is not { } loss) continue;
                if (loss < best)
                {
                    best = loss;
                    bestRound = round;
                }
                else if (round - bestRound >= patience) break;
            }
            if (bestRound >= 0 && bestRound + 1 < rounds)
            {
                XGBoostNative.Check(XGBoostNative.BoosterSlice(booster, 0, bestRound + 1, 1, out var sliced), "XGBoosterSlice");
                using (sliced) buffer = XGBoostModel.SaveBuffer(sliced);
            }
            else buffer = XGBoostModel.SaveBuffer(booster);
        }
        finally
        {
            foreach (var name in names) Marshal.FreeCoTaskMem(name);
        }
        // A fresh booster from the saved model: no cached training matrices, and the same one Load gives back.
        return XGBoostModel.FromBuffer(buffer, [.. data.Features.Names], Options.TreesPerRound == 1 ? 1 : Options.NumClasses);
    }

    IModel ITrainer.Fit(TrainingData data, IProgress<TrainingProgress>? progress, CancellationToken cancellation) => Fit(data, progress, cancellation);

    /// <summary>The train and valid losses of "[3]\ttrain-logloss:0.41\tvalid-logloss:0.52".</summary>
    internal static (double Train, double? Valid) ParseEvaluation(string line)
    {
        double? train = null, valid = null;
        foreach (var part in line.Split('\t', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.LastIndexOf(':');
            if (part.StartsWith('[') || colon < 0) continue;
            var value = double.Parse(part.AsSpan(colon + 1), NumberStyles.Float, CultureInfo.InvariantCulture);
            if (part.StartsWith("train-", StringComparison.Ordinal)) train = value;
            else if (part.StartsWith("valid-", StringComparison.Ordinal)) valid = value;
        }
        return (train ?? throw new XGBoostException($"No training loss in XGBoost's evaluation '{line}'."), valid);
    }
}
