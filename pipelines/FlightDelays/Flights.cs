using System.Globalization;
using System.Text;

namespace MlOps.Pipelines.Examples;

/// <summary>
/// The flights table, column by column. A minimal strict CSV reader until the data library's tables replace
/// it: every problem is reported with the file, line and column.
/// </summary>
sealed class Flights
{
    static readonly string[] Columns = ["date", "delay", "distance", "origin", "destination"];
    static readonly string[] DateFormats = ["yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm"];

    public List<DateTime> Departure { get; } = [];
    public List<int> Delay { get; } = [];
    public List<int> Distance { get; } = [];
    public List<string> Origin { get; } = [];
    public List<string> Destination { get; } = [];

    /// <summary>Line number in the file of each row (the header is line 1).</summary>
    public List<int> Line { get; } = [];

    public int Count => Delay.Count;

    /// <summary>SHA-256 of the file read: the dataset's identity in reports.</summary>
    public string Sha256 { get; private set; } = "";

    public static Flights Read(string path, string displayPath)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{displayPath}: the file does not exist.");
        var flights = new Flights();
        var strictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        using var reader = new StreamReader(path, strictUtf8, detectEncodingFromByteOrderMarks: true);
        var lineNumber = 0;
        int[]? positions = null;
        var fieldCount = 0;
        string? line;
        while (true)
        {
            try
            {
                line = reader.ReadLine();
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException($"{displayPath}, after line {lineNumber}: the text is not valid UTF-8.");
            }
            if (line is null) break;
            lineNumber++;
            if (line.Length == 0) continue;
            var fields = line.Split(',');
            if (positions is null)
            {
                positions = Header(fields, displayPath);
                fieldCount = fields.Length;
                continue;
            }
            if (fields.Length != fieldCount)
                throw new InvalidDataException($"{displayPath}, line {lineNumber}: expected {fieldCount} fields, found {fields.Length}.");
            if (line.Contains('"', StringComparison.Ordinal))
                throw new InvalidDataException($"{displayPath}, line {lineNumber}: quoted fields are not supported by this reader.");
            flights.Departure.Add(ParseDate(fields[positions[0]], displayPath, lineNumber));
            flights.Delay.Add(ParseInt(fields[positions[1]], "delay", displayPath, lineNumber));
            flights.Distance.Add(ParseInt(fields[positions[2]], "distance", displayPath, lineNumber));
            flights.Origin.Add(string.Intern(fields[positions[3]]));
            flights.Destination.Add(string.Intern(fields[positions[4]]));
            flights.Line.Add(lineNumber);
        }
        if (positions is null) throw new InvalidDataException($"{displayPath}: the file is empty (no header).");
        using (var stream = File.OpenRead(path)) flights.Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        if (flights.Count == 0) throw new InvalidDataException($"{displayPath}: the file has a header but no rows.");
        return flights;
    }

    static int[] Header(string[] fields, string displayPath)
    {
        var names = fields.Select(f => f.Trim().Trim('"').ToLowerInvariant()).ToList();
        var missing = Columns.Where(c => !names.Contains(c)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{displayPath}, line 1: missing column(s) {string.Join(", ", missing)}; the header is '{string.Join(",", fields)}'.");
        return [.. Columns.Select(c => names.IndexOf(c))];
    }

    static DateTime ParseDate(string text, string displayPath, int line) =>
        DateTime.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value
            : throw new InvalidDataException($"{displayPath}, line {line}, column 'date': '{text}' is not a date and time like 2001-01-14 21:55.");

    static int ParseInt(string text, string column, string displayPath, int line) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidDataException($"{displayPath}, line {line}, column '{column}': '{text}' is not a whole number.");
}
