using MlOps.Pipelines;

namespace MlOps.Pipelines.Examples;

/// <summary>A row-major float matrix with a label per row, stored as a small binary file.</summary>
sealed record FeatureMatrix(int Rows, int Columns, float[] Values, bool[] Labels)
{
    const int Magic = 0x464D5431; // "FMT1"

    public static Artifact<FeatureMatrix> Artifact(string name) =>
        MlOps.Pipelines.Artifact.Create<FeatureMatrix>(name, name + ".bin", (matrix, stream) => matrix.WriteTo(stream), Read);

    void WriteTo(Stream stream)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Rows);
        writer.Write(Columns);
        foreach (var value in Values) writer.Write(value);
        foreach (var label in Labels) writer.Write(label);
    }

    static FeatureMatrix Read(Stream stream)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (reader.ReadInt32() != Magic) throw new InvalidDataException("Not a feature matrix file.");
        var rows = reader.ReadInt32();
        var columns = reader.ReadInt32();
        var values = new float[rows * columns];
        for (var i = 0; i < values.Length; i++) values[i] = reader.ReadSingle();
        var labels = new bool[rows];
        for (var i = 0; i < rows; i++) labels[i] = reader.ReadBoolean();
        return new FeatureMatrix(rows, columns, values, labels);
    }
}
