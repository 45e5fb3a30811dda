using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.Examples;

/// <summary>The validated flights table, column by column, as the feature code reads it.</summary>
sealed class Flights
{
    Flights(Table table)
    {
        Departure = table.Get<DateTime>("date").Values.ToArray();
        Delay = table.Get<long>("delay").Values.ToArray();
        Distance = table.Get<long>("distance").Values.ToArray();
        var origin = table.GetString("origin");
        var destination = table.GetString("destination");
        Origin = [.. Enumerable.Range(0, table.RowCount).Select(i => origin[i]!)];
        Destination = [.. Enumerable.Range(0, table.RowCount).Select(i => destination[i]!)];
    }

    public DateTime[] Departure { get; }
    public long[] Delay { get; }
    public long[] Distance { get; }
    public string[] Origin { get; }
    public string[] Destination { get; }
    public int Count => Delay.Length;

    /// <summary>The columns of a table that passed <see cref="FlightDelays"/>' schema (so none is missing or null).</summary>
    public static Flights From(Table table) => new(table);
}
