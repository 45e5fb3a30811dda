using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training;

namespace MlOps.Pipelines.ML.Tests.Training;

/// <summary>Data and helpers every trainer's tests share: columns named x0, x1, …, seeded samples, model bytes.</summary>
internal static class TrainingSamples
{
    public static FeatureMatrix Matrix(params float[][] columns) =>
        FeatureMatrix.FromColumns([.. columns.Select((_, c) => $"x{c}")], columns);

    /// <summary><paramref name="features"/> uniform columns on [0, 1) from <paramref name="seed"/>.</summary>
    public static float[][] Uniform(int rows, int features, int seed)
    {
        var random = new Random(seed);
        var columns = new float[features][];
        for (var c = 0; c < features; c++) columns[c] = new float[rows];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < features; c++) columns[c][r] = random.NextSingle();
        return columns;
    }

    /// <summary>A standard normal draw (Box–Muller, one of the pair).</summary>
    public static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>What <see cref="IModel.Save"/> writes.</summary>
    public static byte[] Bytes(IModel model)
    {
        using var stream = new MemoryStream();
        model.Save(stream);
        return stream.ToArray();
    }
}
