using System.Runtime.InteropServices;
using MlOps.Pipelines;
using MlOps.Pipelines.ML.Features;

namespace MlOps.Pipelines.Examples;

/// <summary>
/// A feature matrix (column-major floats, as the trainers read it: column c's values at [c × Rows, (c + 1) × Rows))
/// with a label per row, stored as one binary file.
/// </summary>
sealed record TrainingSet(int Rows, IReadOnlyList<string> Features, float[] Values, bool[] Labels)
{
    const int Magic = 0x32544C46; // "FLT2": version 2, column-major (version 1 was row-major)

    public int Columns => Features.Count;

    public static TrainingSet Of(FeatureMatrix matrix, bool[] labels)
    {
        var values = new float[matrix.Rows * matrix.Columns];
        for (var c = 0; c < matrix.Columns; c++) matrix.Column(c).CopyTo(values.AsSpan(c * matrix.Rows, matrix.Rows));
        return new TrainingSet(matrix.Rows, matrix.Names, values, labels);
    }

    public FeatureMatrix Matrix() =>
        FeatureMatrix.FromColumns(Features, [.. Enumerable.Range(0, Columns).Select(c => Values.AsSpan(c * Rows, Rows).ToArray())]);

    /// <summary>The labels as the trainers take them: 1 for delayed, 0 for on time.</summary>
    public float[] LabelValues() => [.. Labels.Select(l => l ? 1f : 0f)];

    public static Artifact<TrainingSet> Artifact(string name) =>
        MlOps.Pipelines.Artifact.Create<TrainingSet>(name, name + ".bin", (set, stream) => set.WriteTo(stream), Read);

    void WriteTo(Stream stream)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Rows);
        writer.Write(Features.Count);
        foreach (var feature in Features) writer.Write(feature);
        writer.Write(MemoryMarshal.AsBytes(Values.AsSpan()));
        writer.Write(MemoryMarshal.AsBytes(Labels.AsSpan()));
    }

    static TrainingSet Read(Stream stream)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (reader.ReadInt32() != Magic) throw new InvalidDataException("Not a training set file.");
        var rows = reader.ReadInt32();
        var features = new string[reader.ReadInt32()];
        for (var i = 0; i < features.Length; i++) features[i] = reader.ReadString();
        var values = new float[rows * features.Length];
        stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        var labels = new bool[rows];
        stream.ReadExactly(MemoryMarshal.AsBytes(labels.AsSpan()));
        return new TrainingSet(rows, features, values, labels);
    }
}
