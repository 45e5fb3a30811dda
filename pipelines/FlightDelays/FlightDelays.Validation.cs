using System.Text.Json;
using MlOps.Pipelines;

namespace MlOps.Pipelines.Examples;

// Validate: the flights file must parse, and every value must be plausible. A failing report is kept next to
// the artefacts as validation.failed.json for inspection; only a passing one becomes the artefact.
public sealed partial class FlightDelays
{
    sealed record CheckResult(string Check, bool Passed, int Failures, IReadOnlyList<string> Examples);

    sealed record ValidationReport(string File, string Sha256, int Rows, string FirstDeparture, string LastDeparture,
        double DelayedShare, bool Blessed, IReadOnlyList<CheckResult> Checks);

    void ValidateData(TargetContext context)
    {
        var display = Display(InputFile);
        var flights = Flights.Read(context.Input(InputFile), display);
        var checks = new[]
        {
            Check(flights, "delay within [-1440, 2880] minutes", i => flights.Delay[i] is >= -1440 and <= 2880, i => $"delay = {flights.Delay[i]}"),
            Check(flights, "distance within [1, 10000] miles", i => flights.Distance[i] is >= 1 and <= 10000, i => $"distance = {flights.Distance[i]}"),
            Check(flights, "origin is a 3-letter airport code", i => IsAirportCode(flights.Origin[i]), i => $"origin = '{flights.Origin[i]}'"),
            Check(flights, "destination is a 3-letter airport code", i => IsAirportCode(flights.Destination[i]), i => $"destination = '{flights.Destination[i]}'"),
        };
        var report = new ValidationReport(display, flights.Sha256, flights.Count,
            flights.Departure.Min().ToString("yyyy-MM-dd HH:mm"), flights.Departure.Max().ToString("yyyy-MM-dd HH:mm"),
            Math.Round(flights.Delay.Count(d => d > DelayThreshold) / (double)flights.Count, 6),
            checks.All(c => c.Passed), checks);

        context.Info($"{display}: {report.Rows:N0} flights, {report.FirstDeparture} to {report.LastDeparture}, {report.DelayedShare:P1} delayed > {DelayThreshold} min");
        foreach (var check in checks)
            context.Info($"  {(check.Passed ? "pass" : "FAIL")}  {check.Check}{(check.Passed ? "" : $": {check.Failures:N0} rows, e.g. {string.Join("; ", check.Examples)}")}");
        if (!report.Blessed)
        {
            var failed = ArtifactsDirectory / "validation.failed.json";
            Directory.CreateDirectory(ArtifactsDirectory);
            File.WriteAllText(failed, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            throw new InvalidDataException($"{display}: {checks.Count(c => !c.Passed)} check(s) failed; see {Display(failed)}.");
        }
        context.Save(Validation, report);
    }

    static CheckResult Check(Flights flights, string name, Func<int, bool> holds, Func<int, string> describe)
    {
        var failures = 0;
        var examples = new List<string>();
        for (var i = 0; i < flights.Count; i++)
        {
            if (holds(i)) continue;
            if (++failures <= 3) examples.Add($"line {flights.Line[i]}: {describe(i)}");
        }
        return new CheckResult(name, failures == 0, failures, examples);
    }

    static bool IsAirportCode(string code) => code.Length == 3 && code.All(char.IsAsciiLetterUpper);
}
