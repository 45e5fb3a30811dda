using MlOps.Pipelines;

namespace MlOps.Pipelines.Examples;

// Features: a time-based split (the latest flights are held out), encodings fitted on the training part only.
public sealed partial class FlightDelays
{
    void ComputeFeatures(TargetContext context)
    {
        if (TestFraction is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(TestFraction), TestFraction, "TestFraction must be between 0 and 1 (exclusive).");
        var flights = Flights.From(context.Load(CleanFlights));
        // Order by departure, then by row, so equal times keep file order and the split is deterministic.
        var order = Enumerable.Range(0, flights.Count).OrderBy(i => flights.Departure[i]).ThenBy(i => i).ToArray();
        var testRows = (int)Math.Round(flights.Count * TestFraction);
        if (testRows < 1 || testRows >= flights.Count)
            throw new InvalidDataException($"{Display(InputFile)}: {flights.Count} flights are too few to hold out {TestFraction:P0} for evaluation.");
        var train = order[..^testRows];
        var test = order[^testRows..];
        bool Delayed(int i) => flights.Delay[i] > DelayThreshold;

        var transform = FlightFeatures.Fit(flights, train, Delayed);
        context.Save(Transform, transform);
        context.Save(TrainFeatures, Matrix(flights, train, transform, Delayed));
        context.Save(TestFeatures, Matrix(flights, test, transform, Delayed));
        context.Info($"{train.Length:N0} training flights up to {flights.Departure[train[^1]]:yyyy-MM-dd HH:mm}, " +
            $"{test.Length:N0} held out; {FlightFeatures.Width} features; {transform.OriginRate.Count} origin airports");
    }

    static FeatureMatrix Matrix(Flights flights, IReadOnlyList<int> rows, FlightFeatures transform, Func<int, bool> delayed)
    {
        var width = FlightFeatures.Width;
        var values = new float[rows.Count * width];
        var labels = new bool[rows.Count];
        for (var r = 0; r < rows.Count; r++)
        {
            transform.Transform(flights, rows[r], values.AsSpan(r * width, width));
            labels[r] = delayed(rows[r]);
        }
        return new FeatureMatrix(rows.Count, width, values, labels);
    }
}
