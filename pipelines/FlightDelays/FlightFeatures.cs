namespace MlOps.Pipelines.Examples;

/// <summary>
/// The fitted feature transform: statistics learnt on the training flights only, applied the same way to any
/// flight. Columns: departure hour (one-hot, 24), weekday (one-hot, 7), then standardised log-distance and
/// smoothed delay rates of the origin and the destination airport (unseen airports get the overall rate).
/// </summary>
sealed record FlightFeatures(
    double DelayedShare,
    double LogDistanceMean,
    double LogDistanceStd,
    IReadOnlyDictionary<string, double> OriginRate,
    IReadOnlyDictionary<string, double> DestinationRate,
    double RateStd)
{
    /// <summary>Pseudo-flights at the overall rate mixed into each airport's rate, so rare airports are not extreme.</summary>
    const double Smoothing = 20;

    public static IReadOnlyList<string> Names { get; } =
    [
        .. Enumerable.Range(0, 24).Select(h => $"hour_{h:00}"),
        .. Enum.GetNames<DayOfWeek>().Select(d => $"weekday_{d.ToLowerInvariant()}"),
        "log_distance_z", "origin_delay_rate_z", "destination_delay_rate_z",
    ];

    public static int Width => Names.Count;

    public static FlightFeatures Fit(Flights flights, IReadOnlyList<int> rows, Func<int, bool> delayed)
    {
        var share = rows.Count(i => delayed(i)) / (double)rows.Count;
        var logDistance = rows.Select(i => Math.Log(1 + flights.Distance[i])).ToArray();
        var mean = logDistance.Average();
        var std = Math.Sqrt(logDistance.Sum(x => (x - mean) * (x - mean)) / logDistance.Length);

        IReadOnlyDictionary<string, double> Rates(string[] airports) => rows
            .GroupBy(i => airports[i], StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (g.Count(i => delayed(i)) + Smoothing * share) / (g.Count() + Smoothing), StringComparer.Ordinal);
        var origin = Rates(flights.Origin);
        var destination = Rates(flights.Destination);
        var rateStd = Math.Sqrt(rows.Average(i => Math.Pow(origin[flights.Origin[i]] - share, 2)));
        return new FlightFeatures(share, mean, std > 0 ? std : 1, origin, destination, rateStd > 0 ? rateStd : 1);
    }

    /// <summary>Writes the features of flight <paramref name="i"/> into <paramref name="row"/> (<see cref="Width"/> values).</summary>
    public void Transform(Flights flights, int i, Span<float> row)
    {
        row.Clear();
        var departure = flights.Departure[i];
        row[departure.Hour] = 1;
        row[24 + (int)departure.DayOfWeek] = 1;
        row[31] = (float)((Math.Log(1 + flights.Distance[i]) - LogDistanceMean) / LogDistanceStd);
        row[32] = (float)((OriginRate.GetValueOrDefault(flights.Origin[i], DelayedShare) - DelayedShare) / RateStd);
        row[33] = (float)((DestinationRate.GetValueOrDefault(flights.Destination[i], DelayedShare) - DelayedShare) / RateStd);
    }
}
