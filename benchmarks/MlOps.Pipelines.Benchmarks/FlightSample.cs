using MlOps.Pipelines.ML.Data.Tables;
using MlOps.Pipelines.ML.Features;

/// <summary>
/// The flight sample (data/flights-200k.csv) as a tree benchmark with categorical features, split and labelled as
/// the example pipeline does it (pipelines/FlightDelays): flights ordered by departure (then file row), the latest
/// 20% held out, label "arrived more than 15 minutes late". Six features: hour and weekday of the departure,
/// distance, the number of training flights on the route (origin → destination, 0 when unseen), and origin and
/// destination as categorical integer codes (the alphabetical order of the airports in the training part, so
/// codes carry no target information; an airport unseen in training is missing, NaN).
/// </summary>
/// <remarks>
/// Month is left out on purpose: under the time split the held-out flights (late May and June) lie beyond the
/// training months, so a tree could only extrapolate from it.
/// </remarks>
sealed record FlightSample(FeatureMatrix Train, float[] TrainLabels, FeatureMatrix Test, float[] TestLabels, int[] Categorical)
{
    const string RelativePath = "data/flights-200k.csv";
    const double TestFraction = 0.2;
    const int DelayThreshold = 15;
    static readonly string[] Names = ["hour", "weekday", "distance", "route_flights", "origin", "destination"];

    /// <summary>The sample, or null when data/flights-200k.csv is not found upwards from the program or the working folder.</summary>
    public static FlightSample? Load()
    {
        var path = PeerScripts.FindInRepository(RelativePath);
        if (path is null) return null;
        var flights = TableIO.ReadCsv(path);
        var departure = flights.Get<DateTime>("date").Values.ToArray();
        var order = Enumerable.Range(0, flights.RowCount).OrderBy(i => departure[i]).ThenBy(i => i).ToArray();
        var testRows = (int)Math.Round(flights.RowCount * TestFraction);
        var train = order[..^testRows];
        var test = order[^testRows..];

        var origin = flights.GetString("origin");
        var destination = flights.GetString("destination");
        var originCodes = Vocabulary(origin, train);
        var destinationCodes = Vocabulary(destination, train);
        var routes = new Dictionary<(string, string), int>();
        foreach (var r in train)
            routes[(origin[r]!, destination[r]!)] = routes.GetValueOrDefault((origin[r]!, destination[r]!)) + 1;

        var distance = flights.Get<long>("distance").Values.ToArray();
        var delay = flights.Get<long>("delay").Values.ToArray();
        (FeatureMatrix, float[]) Build(int[] rows)
        {
            var columns = Names.Select(_ => new float[rows.Length]).ToArray();
            var labels = new float[rows.Length];
            for (var i = 0; i < rows.Length; i++)
            {
                var r = rows[i];
                columns[0][i] = departure[r].Hour;
                columns[1][i] = ((int)departure[r].DayOfWeek + 6) % 7; // Monday 0 … Sunday 6
                columns[2][i] = distance[r];
                columns[3][i] = routes.GetValueOrDefault((origin[r]!, destination[r]!));
                columns[4][i] = originCodes.TryGetValue(origin[r]!, out var o) ? o : float.NaN;
                columns[5][i] = destinationCodes.TryGetValue(destination[r]!, out var d) ? d : float.NaN;
                labels[i] = delay[r] > DelayThreshold ? 1 : 0;
            }
            return (FeatureMatrix.FromColumns(Names, columns), labels);
        }
        var (trainMatrix, trainLabels) = Build(train);
        var (testMatrix, testLabels) = Build(test);
        return new FlightSample(trainMatrix, trainLabels, testMatrix, testLabels, [4, 5]);
    }

    /// <summary>Code per value seen in the training rows: its rank in ordinal order.</summary>
    static Dictionary<string, int> Vocabulary(StringColumn column, int[] trainRows)
    {
        var values = trainRows.Select(r => column[r]!).Distinct().Order(StringComparer.Ordinal).ToArray();
        // scikit-learn's categorical features take codes below max_bins (255), XGBoost's below max_bin.
        if (values.Length > 254) throw new InvalidDataException($"{column.Name}: {values.Length} categories, more than the peers take (254).");
        return values.Select((value, code) => (value, code)).ToDictionary(p => p.value, p => p.code);
    }
}
