using MlOps.Pipelines.ML.Training.Trees;

namespace MlOps.Pipelines.ML.Training;

/// <summary>What the trees fit, as XGBoost's objectives of the same names.</summary>
public enum BoostingObjective
{
    /// <summary>binary:logistic — labels 0/1, predictions are probabilities; loss: log loss.</summary>
    BinaryLogistic,

    /// <summary>reg:squarederror — labels are values, predictions are values; loss reported: RMSE.</summary>
    SquaredError,

    /// <summary>multi:softprob — labels are class indices 0 … NumClasses − 1, one tree per class per round; loss: multiclass log loss.</summary>
    Softmax,
}

/// <summary>
/// Settings of <see cref="GradientBoostedTrees"/>, with XGBoost's meanings and defaults (tree_method=hist).
/// </summary>
/// <param name="Objective">The loss the trees descend.</param>
/// <param name="NumClasses">Classes of <see cref="BoostingObjective.Softmax"/> (at least 2); ignored otherwise.</param>
/// <param name="Rounds">Boosting rounds (num_boost_round).</param>
/// <param name="MaxDepth">Deepest level a leaf may sit at (max_depth); 0 = unlimited, allowed only with <paramref name="MaxLeaves"/>.</param>
/// <param name="MaxLeaves">
/// 0: grow depth-wise, level by level (grow_policy=depthwise). Above 0: grow loss-guided, always splitting the leaf
/// with the largest gain, until a tree has this many leaves (grow_policy=lossguide with max_leaves).
/// </param>
/// <param name="LearningRate">Shrinkage of every leaf weight (eta).</param>
/// <param name="MinChildWeight">Least hessian sum a child of a split may have (min_child_weight).</param>
/// <param name="Lambda">L2 penalty on leaf weights (reg_lambda).</param>
/// <param name="Alpha">L1 penalty on leaf weights (reg_alpha): gradients sums are soft-thresholded by it.</param>
/// <param name="Gamma">Least loss reduction a split must bring (min_split_loss), in XGBoost's units (G²/(H + λ) terms, no ½).</param>
/// <param name="Subsample">Share of rows drawn (independently per row) for each tree.</param>
/// <param name="ColSampleByTree">Share of features drawn for each tree (at least one).</param>
/// <param name="MaxBins">Bins per feature, 2 … 256, counting the bin of missing values (so at most 255 for values).</param>
/// <param name="EarlyStoppingRounds">Stop when the validation loss has not improved for this many rounds and keep the best round; null = off.</param>
/// <param name="Seed">Seed of the row and feature sampling.</param>
/// <param name="Threads">Worker threads; 0 = one per processor. The model does not depend on it.</param>
/// <param name="BaseScore">The prediction before any tree (a probability for BinaryLogistic, a value for SquaredError; XGBoost 1.x's 0.5).</param>
public sealed record GradientBoostedTreesOptions(
    BoostingObjective Objective = BoostingObjective.BinaryLogistic,
    int NumClasses = 0,
    int Rounds = 100,
    int MaxDepth = 6,
    int MaxLeaves = 0,
    double LearningRate = 0.3,
    double MinChildWeight = 1,
    double Lambda = 1,
    double Alpha = 0,
    double Gamma = 0,
    double Subsample = 1,
    double ColSampleByTree = 1,
    int MaxBins = 256,
    int? EarlyStoppingRounds = null,
    ulong Seed = 0,
    int Threads = 0,
    double BaseScore = 0.5)
{
    internal void Validate()
    {
        if (!Enum.IsDefined(Objective)) throw new ArgumentOutOfRangeException(nameof(Objective), Objective, "Unknown objective.");
        if (Objective == BoostingObjective.Softmax && NumClasses < 2)
            throw new ArgumentOutOfRangeException(nameof(NumClasses), NumClasses, "Softmax needs at least 2 classes.");
        ArgumentOutOfRangeException.ThrowIfLessThan(Rounds, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxDepth);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxLeaves);
        if (MaxDepth == 0 && MaxLeaves == 0) throw new ArgumentException("Depth-wise growth needs MaxDepth above 0 (or set MaxLeaves).");
        if (MaxLeaves == 1) throw new ArgumentOutOfRangeException(nameof(MaxLeaves), MaxLeaves, "A tree needs at least 2 leaves to split.");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxDepth, 30);
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive.");
        if (!(MinChildWeight >= 0) || double.IsInfinity(MinChildWeight)) throw new ArgumentOutOfRangeException(nameof(MinChildWeight), MinChildWeight, "Must be finite and not negative.");
        if (!(Lambda >= 0) || double.IsInfinity(Lambda)) throw new ArgumentOutOfRangeException(nameof(Lambda), Lambda, "Must be finite and not negative.");
        if (!(Alpha >= 0) || double.IsInfinity(Alpha)) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "Must be finite and not negative.");
        if (!(Gamma >= 0) || double.IsInfinity(Gamma)) throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, "Must be finite and not negative.");
        if (!(Subsample is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(Subsample), Subsample, "Must be in (0, 1].");
        if (!(ColSampleByTree is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(ColSampleByTree), ColSampleByTree, "Must be in (0, 1].");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBins, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxBins, 256);
        if (EarlyStoppingRounds is < 1) throw new ArgumentOutOfRangeException(nameof(EarlyStoppingRounds), EarlyStoppingRounds, "Must be at least 1 (or null).");
        ArgumentOutOfRangeException.ThrowIfNegative(Threads);
        if (Objective == BoostingObjective.BinaryLogistic && !(BaseScore is > 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(BaseScore), BaseScore, "A logistic base score is a probability in (0, 1).");
        if (!double.IsFinite(BaseScore)) throw new ArgumentOutOfRangeException(nameof(BaseScore), BaseScore, "Must be finite.");
    }

    /// <summary>Trees fitted per round: one per class for softmax, else one.</summary>
    internal int TreesPerRound => Objective == BoostingObjective.Softmax ? NumClasses : 1;

    internal int WorkerThreads => Threads == 0 ? Environment.ProcessorCount : Threads;
}

/// <summary>
/// Histogram gradient-boosted decision trees, as XGBoost's tree_method=hist: features quantile-binned once,
/// second-order split gains with L1/L2 penalties, missing values sent down a learnt default direction.
/// The fitted model is bit-identical for any <see cref="GradientBoostedTreesOptions.Threads"/>.
/// </summary>
/// <remarks>
/// Where it differs from XGBoost, and why: cuts are exact quantiles of the training column rather than a sketch
/// (a radix sort costs little); <see cref="GradientBoostedTreesOptions.MaxBins"/> counts the bin of missing values,
/// so 256 leaves 255 for values; a split seen without missing values in training sends future ones to its
/// heavier child rather than always right; gradient sums are 64-bit fixed-point integers, which makes them
/// independent of the thread count and of summation order (and finer than XGBoost's float gradients).
/// Split gains, leaf weights, γ, λ, α and min_child_weight follow XGBoost's formulas exactly.
/// </remarks>
public sealed class GradientBoostedTrees(GradientBoostedTreesOptions options) : ITrainer
{
    public GradientBoostedTreesOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <inheritdoc cref="ITrainer.Fit"/>
    public GradientBoostedTreesModel Fit(TrainingData data, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        Options.Validate();
        data.Validate();
        return new Booster(Options, data).Run(progress, cancellation);
    }

    IModel ITrainer.Fit(TrainingData data, IProgress<TrainingProgress>? progress, CancellationToken cancellation) => Fit(data, progress, cancellation);
}
