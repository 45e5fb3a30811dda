using System.Text;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training.Linear;
using MlOps.Pipelines.ML.Training.Trees;

namespace MlOps.Pipelines.ML.Training;

/// <summary>How a <see cref="LinearModel"/> turns its margins into predictions.</summary>
public enum LinearLink
{
    /// <summary>The margin itself: a regression value (<see cref="LinearRegression"/>).</summary>
    Identity,

    /// <summary>σ(margin) = P(y = 1): binary <see cref="LogisticRegression"/>.</summary>
    Logistic,

    /// <summary>softmax over one margin per class: multinomial <see cref="LogisticRegression"/>.</summary>
    Softmax,
}

/// <summary>
/// A fitted linear model: margin_k = intercept_k + Σ_j coefficient_kj · x_j for each output k, then the
/// <see cref="Link"/>. Each row is computed on its own with the same operations in the same order, so predictions do
/// not depend on the thread count, on the batch a row comes in, or on a save and load.
/// </summary>
/// <example>
/// <code>
/// var model = new LogisticRegression(new LogisticRegressionOptions(C: 1)).Fit(new TrainingData(features, labels));
/// var probabilities = new double[features.Rows];
/// model.Predict(features, probabilities);
/// </code>
/// </example>
/// <remarks>Missing values (NaN) give NaN predictions: linear models need imputed features.</remarks>
public sealed class LinearModel : IModel
{
    const string Magic = "MLOPSLIN";
    const int FormatVersion = 1;
    const int BlockRows = 1024;

    readonly double[][] _coefficients;
    readonly double[] _intercepts;

    internal LinearModel(LinearLink link, string[] featureNames, double[][] coefficients, double[] intercepts)
    {
        Link = link;
        FeatureNames = featureNames;
        _coefficients = coefficients;
        _intercepts = intercepts;
        Coefficients = [.. coefficients.Select(c => (IReadOnlyList<double>)Array.AsReadOnly(c))];
        Intercepts = Array.AsReadOnly(intercepts);
    }

    public LinearLink Link { get; }

    public IReadOnlyList<string> FeatureNames { get; }

    /// <inheritdoc/>
    public int OutputsPerRow => _intercepts.Length;

    /// <summary>One weight per feature for each output ([output][feature], as scikit-learn's coef_): one output unless <see cref="Link"/> is softmax.</summary>
    public IReadOnlyList<IReadOnlyList<double>> Coefficients { get; }

    /// <summary>One intercept per output (scikit-learn's intercept_); not penalised in training.</summary>
    public IReadOnlyList<double> Intercepts { get; }

    /// <inheritdoc/>
    public void Predict(FeatureMatrix features, Span<double> output) => Predict(features, output, threads: 0);

    /// <summary>As <see cref="Predict(FeatureMatrix, Span{double})"/> on a chosen number of threads (0 = one per processor).</summary>
    /// <param name="features">Rows to predict, with <see cref="FeatureNames"/> as columns.</param>
    /// <param name="output">Rows × <see cref="OutputsPerRow"/> values.</param>
    /// <param name="threads">Worker threads; the values do not depend on it.</param>
    public unsafe void Predict(FeatureMatrix features, Span<double> output, int threads)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        if (!features.Names.SequenceEqual(FeatureNames, StringComparer.Ordinal))
            throw new ArgumentException($"The matrix's columns ({string.Join(", ", features.Names)}) are not the model's ({string.Join(", ", FeatureNames)}).", nameof(features));
        var rows = features.Rows;
        var outputs = OutputsPerRow;
        if (output.Length != rows * outputs) throw new ArgumentException($"The output holds {output.Length} values, {rows} rows need {rows * outputs}.", nameof(output));
        if (threads == 0) threads = Environment.ProcessorCount;
        var buffers = new double[threads][];
        fixed (double* start = output)
        {
            var address = (nint)start;
            Workers.For(threads, Workers.Chunks(rows, BlockRows), (worker, block) =>
            {
                var first = block * BlockRows;
                var count = Math.Min(BlockRows, rows - first);
                var margins = buffers[worker] ??= new double[outputs * BlockRows];
                for (var k = 0; k < outputs; k++) Margins(features, first, count, k, margins.AsSpan(k * BlockRows, count));
                var target = new Span<double>((double*)address + (long)first * outputs, count * outputs);
                // Links one value at a time in scalar code: a row's prediction never depends on its place in a vector.
                for (var i = 0; i < count; i++)
                    switch (Link)
                    {
                        case LinearLink.Identity:
                            target[i] = margins[i];
                            break;
                        case LinearLink.Logistic:
                            target[i] = Sigmoid(margins[i]);
                            break;
                        default:
                            Softmax(margins, i, outputs, target.Slice(i * outputs, outputs));
                            break;
                    }
            });
        }
    }

    /// <summary>intercept + Σ_j w_j x_j for rows [first, first + count), features added in column order.</summary>
    void Margins(FeatureMatrix features, int first, int count, int output, Span<double> margins)
    {
        margins.Fill(_intercepts[output]);
        var weights = _coefficients[output];
        for (var j = 0; j < weights.Length; j++) LinearKernels.AddScaled(margins, features.Column(j).Slice(first, count), weights[j]);
    }

    internal static double Sigmoid(double margin)
    {
        var e = Math.Exp(-Math.Abs(margin));
        return margin >= 0 ? 1 / (1 + e) : e / (1 + e);
    }

    static void Softmax(double[] margins, int row, int classes, Span<double> probabilities)
    {
        var max = double.NegativeInfinity;
        for (var k = 0; k < classes; k++) max = Math.Max(max, margins[k * BlockRows + row]);
        double sum = 0;
        for (var k = 0; k < classes; k++) sum += probabilities[k] = Math.Exp(margins[k * BlockRows + row] - max);
        for (var k = 0; k < classes; k++) probabilities[k] /= sum;
    }

    // ------------------------------------------------------------------ persistence

    /// <summary>
    /// Writes the model as little-endian binary: "MLOPSLIN", format version, link, outputs, feature names, then each
    /// output's intercept and coefficients. Doubles are written bit for bit.
    /// </summary>
    /// <param name="stream">Where to write; left open.</param>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Encoding.ASCII.GetBytes(Magic));
        writer.Write(FormatVersion);
        writer.Write((int)Link);
        writer.Write(OutputsPerRow);
        writer.Write(FeatureNames.Count);
        foreach (var name in FeatureNames) writer.Write(name);
        for (var k = 0; k < OutputsPerRow; k++)
        {
            writer.Write(_intercepts[k]);
            foreach (var w in _coefficients[k]) writer.Write(w);
        }
    }

    /// <summary>Reads a model written by <see cref="Save"/>; throws <see cref="InvalidDataException"/> on anything else.</summary>
    /// <param name="stream">Positioned at the model; left open.</param>
    public static LinearModel Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (Encoding.ASCII.GetString(reader.ReadBytes(Magic.Length)) != Magic) throw new InvalidDataException("Not a linear model.");
            var version = reader.ReadInt32();
            if (version != FormatVersion) throw new InvalidDataException($"Linear model format version {version}; this library reads version {FormatVersion}.");
            var link = (LinearLink)reader.ReadInt32();
            if (!Enum.IsDefined(link)) throw new InvalidDataException($"Unknown link {(int)link}.");
            var outputs = reader.ReadInt32();
            if (link == LinearLink.Softmax ? outputs is < 2 or > 1 << 16 : outputs != 1) throw new InvalidDataException($"{outputs} outputs for the {link} link.");
            var count = reader.ReadInt32();
            if (count is < 1 or > 1 << 24) throw new InvalidDataException($"Invalid feature count {count}.");
            var names = new string[count];
            for (var j = 0; j < count; j++) names[j] = reader.ReadString();
            if (names.Distinct(StringComparer.Ordinal).Count() != count) throw new InvalidDataException("Feature names repeat.");
            var intercepts = new double[outputs];
            var coefficients = new double[outputs][];
            for (var k = 0; k < outputs; k++)
            {
                intercepts[k] = Finite(reader.ReadDouble());
                coefficients[k] = new double[count];
                for (var j = 0; j < count; j++) coefficients[k][j] = Finite(reader.ReadDouble());
            }
            return new LinearModel(link, names, coefficients, intercepts);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The linear model is truncated.", e);
        }
    }

    static double Finite(double value) => double.IsFinite(value) ? value : throw new InvalidDataException($"A coefficient is {value}.");
}
