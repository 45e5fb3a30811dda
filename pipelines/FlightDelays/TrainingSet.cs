using System.Runtime.InteropServices;
using MlOps.Pipelines;

namespace MlOps.Pipelines.Examples;

/// <summary>Feature rows (row-major floats, as the linear trainer reads them) with a label per row, stored as one binary file.</summary>
sealed record TrainingSet(int Rows, IReadOnlyList<string> Features, float[] Values, bool[] Labels)
{
    const int Magic = 0x53544C46; // "FLTS"

    public int Columns => Features.Count;

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
