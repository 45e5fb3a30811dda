using System.Text;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training.Trees;

namespace MlOps.Pipelines.ML.Training;

/// <summary>How much one feature's splits did in a model: XGBoost's "weight" (split count) and "total_gain".</summary>
/// <param name="Feature">The feature's column name.</param>
/// <param name="Splits">Splits on the feature over all trees.</param>
/// <param name="Gain">Their loss reductions summed (average gain = Gain / Splits).</param>
public readonly record struct FeatureImportance(string Feature, int Splits, double Gain);

/// <summary>
/// A fitted <see cref="GradientBoostedTrees"/> ensemble. Prediction sums the trees' leaf values in tree order onto
/// the base margin for each row independently, so it is the same for any thread count, and a saved and loaded model
/// predicts bit-identical values.
/// </summary>
public sealed class GradientBoostedTreesModel : IModel
{
    const string Magic = "MLOPSGBT";
    const int FormatVersion = 1;
    const int BlockRows = 256;

    readonly TreeNode[][] _trees;
    readonly int[] _depths;
    readonly double _baseMargin;

    internal GradientBoostedTreesModel(BoostingObjective objective, int outputsPerRow, double baseScore, string[] featureNames, TreeNode[][] trees, int? bestIteration)
    {
        Objective = objective;
        OutputsPerRow = outputsPerRow;
        BaseScore = baseScore;
        FeatureNames = featureNames;
        _trees = trees;
        _depths = [.. trees.Select(Depth)];
        BestIteration = bestIteration;
        _baseMargin = Objectives.BaseMargin(new GradientBoostedTreesOptions(objective, outputsPerRow, BaseScore: baseScore));
    }

    public BoostingObjective Objective { get; }
    public int OutputsPerRow { get; }
    public IReadOnlyList<string> FeatureNames { get; }
    public double BaseScore { get; }

    /// <summary>With early stopping: the 0-based round of the best validation loss, the last round the model keeps. Otherwise null.</summary>
    public int? BestIteration { get; }

    /// <summary>Boosting rounds in the model (each of <see cref="OutputsPerRow"/> trees).</summary>
    public int Rounds => _trees.Length / OutputsPerRow;

    public int TreeCount => _trees.Length;

    /// <summary>Leaves of tree <paramref name="tree"/> (trees are numbered round by round, class by class).</summary>
    /// <param name="tree">0-based tree number.</param>
    public int LeafCount(int tree) => _trees[tree].Count(n => n.IsLeaf);

    /// <summary>Split counts and summed gains per feature, in column order (features never split on included).</summary>
    public IReadOnlyList<FeatureImportance> FeatureImportance()
    {
        var splits = new int[FeatureNames.Count];
        var gains = new double[FeatureNames.Count];
        foreach (var tree in _trees)
            foreach (var node in tree)
                if (!node.IsLeaf)
                {
                    splits[node.Feature]++;
                    gains[node.Feature] += node.Gain;
                }
        return [.. FeatureNames.Select((name, f) => new FeatureImportance(name, splits[f], gains[f]))];
    }

    /// <inheritdoc/>
    public void Predict(FeatureMatrix features, Span<double> output) => Predict(features, output, threads: 0);

    /// <summary>As <see cref="Predict(FeatureMatrix, Span{double})"/> on a chosen number of threads (0 = one per processor).</summary>
    /// <param name="features">Rows to predict, with <see cref="FeatureNames"/> as columns.</param>
    /// <param name="output">Rows × <see cref="OutputsPerRow"/> values.</param>
    /// <param name="threads">Worker threads; the values do not depend on it.</param>
    public void Predict(FeatureMatrix features, Span<double> output, int threads)
    {
        PredictRaw(features, output, threads);
        Objectives.Transform(Objective, OutputsPerRow, output);
    }

    /// <summary>Margins before the link function (log-odds, values, or per-class scores), laid out as <see cref="Predict(FeatureMatrix, Span{double})"/>'s output.</summary>
    /// <param name="features">Rows to predict, with <see cref="FeatureNames"/> as columns.</param>
    /// <param name="output">Rows × <see cref="OutputsPerRow"/> values.</param>
    /// <param name="threads">Worker threads (0 = one per processor); the values do not depend on it.</param>
    public unsafe void PredictRaw(FeatureMatrix features, Span<double> output, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        if (!features.Names.SequenceEqual(FeatureNames, StringComparer.Ordinal))
            throw new ArgumentException($"The matrix's columns ({string.Join(", ", features.Names)}) are not the model's ({string.Join(", ", FeatureNames)}).", nameof(features));
        var rows = features.Rows;
        var stride = OutputsPerRow;
        if (output.Length != rows * stride) throw new ArgumentException($"The output holds {output.Length} values, {rows} rows need {rows * stride}.", nameof(output));
        if (threads == 0) threads = Environment.ProcessorCount;
        var width = FeatureNames.Count;
        var buffers = new float[threads][];
        fixed (double* start = output)
        {
            var address = (nint)start;
            Workers.For(threads, Workers.Chunks(rows, BlockRows), (worker, block) =>
            {
                var first = block * BlockRows;
                var count = Math.Min(BlockRows, rows - first);
                // The block's rows transposed to row-major, so one row's features share cache lines while trees walk them.
                var values = buffers[worker] ??= new float[BlockRows * width];
                for (var f = 0; f < width; f++)
                {
                    var column = features.Column(f).Slice(first, count);
                    for (var i = 0; i < count; i++) values[i * width + f] = column[i];
                }
                var margins = new Span<double>((double*)address + (long)first * stride, count * stride);
                margins.Fill(_baseMargin);
                var nodes = new int[count];
                for (var t = 0; t < _trees.Length; t++)
                {
                    var tree = _trees[t];
                    var k = t % stride;
                    // All rows of the block descend one level at a time: the rows' walks are independent, so the
                    // processor overlaps them instead of waiting on one row's chain of node loads.
                    Array.Clear(nodes);
                    for (var level = 0; level < _depths[t]; level++)
                        for (var i = 0; i < count; i++)
                        {
                            ref readonly var node = ref tree[nodes[i]];
                            if (node.Feature < 0) continue;
                            var x = values[i * width + node.Feature];
                            // Branch-free (the side is a coin flip to the branch predictor): Right − [left]·(Right − Left).
                            var left = (x < node.Threshold) | (float.IsNaN(x) & node.DefaultLeft);
                            nodes[i] = node.Right - (left ? 1 : 0) * (node.Right - node.Left);
                        }
                    for (var i = 0; i < count; i++) margins[i * stride + k] += tree[nodes[i]].Value;
                }
            });
        }
    }

    /// <summary>Edges from the root to the deepest leaf (children come after their parent, so one forward pass finds it).</summary>
    static int Depth(TreeNode[] tree)
    {
        var depth = new int[tree.Length];
        var max = 0;
        for (var i = 0; i < tree.Length; i++)
        {
            max = Math.Max(max, depth[i]);
            if (tree[i].IsLeaf) continue;
            depth[tree[i].Left] = depth[tree[i].Right] = depth[i] + 1;
        }
        return max;
    }

    // ------------------------------------------------------------------ persistence

    /// <summary>
    /// Writes the model as little-endian binary: "MLOPSGBT", format version, objective, outputs per row, base score,
    /// best iteration (−1 for none), feature names, then each tree's nodes (feature, threshold, children, default
    /// side, value, gain, cover). Doubles and floats are written bit for bit.
    /// </summary>
    /// <param name="stream">Where to write; left open.</param>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Encoding.ASCII.GetBytes(Magic));
        writer.Write(FormatVersion);
        writer.Write((int)Objective);
        writer.Write(OutputsPerRow);
        writer.Write(BaseScore);
        writer.Write(BestIteration ?? -1);
        writer.Write(FeatureNames.Count);
        foreach (var name in FeatureNames) writer.Write(name);
        writer.Write(_trees.Length);
        foreach (var tree in _trees)
        {
            writer.Write(tree.Length);
            foreach (var node in tree)
            {
                writer.Write(node.Feature);
                writer.Write(node.Threshold);
                writer.Write(node.Left);
                writer.Write(node.Right);
                writer.Write(node.DefaultLeft);
                writer.Write(node.Value);
                writer.Write(node.Gain);
                writer.Write(node.Cover);
            }
        }
    }

    /// <summary>Reads a model written by <see cref="Save"/>; throws <see cref="InvalidDataException"/> on anything else.</summary>
    /// <param name="stream">Positioned at the model; left open.</param>
    public static GradientBoostedTreesModel Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (Encoding.ASCII.GetString(reader.ReadBytes(Magic.Length)) != Magic) throw new InvalidDataException("Not a gradient-boosted trees model.");
            var version = reader.ReadInt32();
            if (version != FormatVersion) throw new InvalidDataException($"Model format version {version}; this library reads version {FormatVersion}.");
            var objective = (BoostingObjective)reader.ReadInt32();
            if (!Enum.IsDefined(objective)) throw new InvalidDataException($"Unknown objective {(int)objective}.");
            var outputs = reader.ReadInt32();
            if (outputs < 1 || (objective != BoostingObjective.Softmax && outputs != 1)) throw new InvalidDataException($"{outputs} outputs per row for {objective}.");
            var baseScore = reader.ReadDouble();
            if (!double.IsFinite(baseScore) || (objective == BoostingObjective.BinaryLogistic && !(baseScore is > 0 and < 1)))
                throw new InvalidDataException($"Invalid base score {baseScore} for {objective}.");
            var best = reader.ReadInt32();
            var names = new string[Count(reader.ReadInt32())];
            for (var f = 0; f < names.Length; f++) names[f] = reader.ReadString();
            var trees = new TreeNode[Count(reader.ReadInt32())][];
            if (trees.Length % outputs != 0) throw new InvalidDataException($"{trees.Length} trees do not make whole rounds of {outputs}.");
            for (var t = 0; t < trees.Length; t++)
            {
                var tree = trees[t] = new TreeNode[Count(reader.ReadInt32())];
                if (tree.Length == 0) throw new InvalidDataException($"Tree {t} has no nodes.");
                for (var i = 0; i < tree.Length; i++)
                {
                    ref var node = ref tree[i];
                    node.Feature = reader.ReadInt32();
                    node.Threshold = reader.ReadSingle();
                    node.Left = reader.ReadInt32();
                    node.Right = reader.ReadInt32();
                    node.DefaultLeft = reader.ReadBoolean();
                    node.Value = reader.ReadDouble();
                    node.Gain = reader.ReadDouble();
                    node.Cover = reader.ReadDouble();
                    // Children after their parent: a walk always ends, whatever the file says.
                    if (node.Feature >= names.Length || (node.Feature >= 0 && (node.Left <= i || node.Right <= i || node.Left >= tree.Length || node.Right >= tree.Length)))
                        throw new InvalidDataException($"Tree {t}, node {i}: invalid feature or children.");
                    if (node.Feature < 0) node.Feature = -1;
                }
            }
            return new GradientBoostedTreesModel(objective, outputs, baseScore, names, trees, best < 0 ? null : best);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The model is truncated.", e);
        }
    }

    static int Count(int value) => value is >= 0 and <= 1 << 28 ? value : throw new InvalidDataException($"Invalid count {value}.");
}
