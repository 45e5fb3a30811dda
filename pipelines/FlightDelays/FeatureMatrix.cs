namespace MlOps.Pipelines.Examples;

/// <summary>A row-major float matrix with a label per row, stored as a small binary file.</summary>
sealed record FeatureMatrix(int Rows, int Columns, float[] Values, bool[] Labels)
{
    const int Magic = 0x464D5431; // "FMT1"

    public void Write(string path) => ArtifactFiles.Write(path, stream =>
    {
        using var writer = new BinaryWriter(stream);
        writer.Write(Magic);
        writer.Write(Rows);
        writer.Write(Columns);
        foreach (var value in Values) writer.Write(value);
        foreach (var label in Labels) writer.Write(label);
    });

    public static FeatureMatrix Read(string path, string producer)
    {
        using var reader = new BinaryReader(File.OpenRead(ArtifactFiles.Require(path, producer)));
        if (reader.ReadInt32() != Magic) throw new InvalidDataException($"{path} is not a feature matrix file.");
        var rows = reader.ReadInt32();
        var columns = reader.ReadInt32();
        var values = new float[rows * columns];
        for (var i = 0; i < values.Length; i++) values[i] = reader.ReadSingle();
        var labels = new bool[rows];
        for (var i = 0; i < rows; i++) labels[i] = reader.ReadBoolean();
        return new FeatureMatrix(rows, columns, values, labels);
    }
}
