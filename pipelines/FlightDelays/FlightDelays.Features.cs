using MlOps.Pipelines;
using MlOps.Pipelines.ML.Data.Tables;
using MlOps.Pipelines.ML.Features;

namespace MlOps.Pipelines.Examples;

// Features: a time-based split (the latest flights are held out), the feature set fitted on the training part only.
public sealed partial class FlightDelays
{
    /// <summary>
    /// What the model sees of a flight. Airports beyond the most frequent ones, and airports or routes never seen in
    /// training, fall into "&lt;other&gt;" columns and frequency 0. Note: `date` is the actual departure, so the hour
    /// leaks part of a late departure into the features (see data/README.md).
    /// </summary>
    static FeatureSet FlightFeatures(int topAirports) => new FeatureSet()
        .Add("hour", Feature.Hour("date").AsCategory().OneHot())
        .Add("weekday", Feature.DayOfWeek("date").AsCategory().OneHot())
        .Add("distance_decile", Feature.Numeric("distance").QuantileBuckets(10).AsCategory().OneHot())
        .Add("log_distance", Feature.Numeric("distance").Log1p().Standardize())
        .Add("origin", Feature.Category("origin").OneHot(topAirports))
        .Add("destination", Feature.Category("destination").OneHot(topAirports))
        .Add("origin_share", Feature.Category("origin").Frequency())
        .Add("destination_share", Feature.Category("destination").Frequency())
        .Add("route_share", Feature.Cross(Feature.Category("origin"), Feature.Category("destination")).Frequency());

    void ComputeFeatures(TargetContext context)
    {
        var flights = context.Load(CleanFlights);
        var departure = flights.Get<DateTime>("date").Values.ToArray();
        // Order by departure, then by row, so equal times keep file order and the split is deterministic.
        var order = Enumerable.Range(0, flights.RowCount).OrderBy(i => departure[i]).ThenBy(i => i).ToArray();
        var testRows = (int)Math.Round(flights.RowCount * TestFraction);
        if (testRows < 1 || testRows >= flights.RowCount)
            throw new InvalidDataException($"{Display(InputFile)}: {flights.RowCount} flights are too few to hold out {TestFraction:P0} for evaluation.");
        var train = flights.Take(order[..^testRows]);
        var test = flights.Take(order[^testRows..]);

        var backend = FeatureBackend.Parse(Kernels.ToString());
        var transform = FlightFeatures(TopAirports).Fit(train, backend, context.Threads);
        context.Save(Transform, transform);
        context.LogArtifact(Transform);
        context.Save(TrainFeatures, TrainingSetOf(train, transform, backend, context.Threads));
        context.Save(TestFeatures, TrainingSetOf(test, transform, backend, context.Threads));
        // The raw held-out flights too: Evaluate scores them through the model package, as serving will.
        context.Save(TestFlights, test);
        context.Info($"{train.RowCount:N0} training flights up to {departure[order[^(testRows + 1)]]:yyyy-MM-dd HH:mm}, " +
            $"{test.RowCount:N0} held out; {transform.Schema.Count} feature columns ({backend} kernels); transform {transform.Digest[..12]}");
    }

    TrainingSet TrainingSetOf(Table flights, FeatureTransform transform, FeatureBackend backend, int threads)
    {
        var matrix = transform.Transform(flights, backend, threads);
        var delay = flights.Get<long>("delay").Values.Span;
        var labels = new bool[flights.RowCount];
        for (var i = 0; i < labels.Length; i++) labels[i] = delay[i] > DelayThreshold;
        return TrainingSet.Of(matrix, labels);
    }
}
