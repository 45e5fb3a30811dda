using System.Text;
using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Tests;

/// <summary>
/// Every bad data file is one message naming the file, the line and column, the offending value (escaped, cut
/// short) and what was expected; small files too, where DuckDB's own sniffer says only "could not detect the CSV
/// dialect" or returns no rows.
/// </summary>
public sealed class BadInputFiles : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("bad-inputs-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    string PathOf(string name) => Path.Combine(_directory, name);

    string CsvError(string name, string text) => CsvError(name, Encoding.UTF8.GetBytes(text));

    string CsvError(string name, byte[] bytes)
    {
        File.WriteAllBytes(PathOf(name), bytes);
        return Assert.Throws<InvalidDataException>(() => TableIO.ReadCsv(PathOf(name))).Message;
    }

    const string Header = "date,delay,origin\n2001-01-01 00:01,33,LAS\n";

    [Fact]
    public void A_short_row_in_a_small_file_names_its_line_and_the_missing_column()
    {
        Assert.Equal($"{PathOf("short.csv")}, line 3, column 3 (origin): missing, the row has 2 field(s): \"2001-01-01 00:04,104\"; expected 3 fields as in the header.",
            CsvError("short.csv", Header + "2001-01-01 00:04,104\n2001-01-01 00:05,7,SEA\n"));
    }

    [Fact]
    public void A_long_row_in_a_small_file_names_its_line_and_the_extra_column()
    {
        // DuckDB took the long row's width for the table and answered "the file has a header but no rows".
        Assert.Equal($"{PathOf("long.csv")}, line 3, column 4: a field beyond the header's last column (origin), the row has 4 fields: \"2001-01-01 00:04,104,ORD,PIA\"; expected 3 fields as in the header.",
            CsvError("long.csv", Header + "2001-01-01 00:04,104,ORD,PIA\n"));
    }

    [Fact]
    public void An_unterminated_quote_names_the_line_and_column_where_it_opens()
    {
        Assert.Equal($"{PathOf("quote.csv")}, line 3, column 3 (origin): the quote before \"ORD\\x0A2001-01-01 00:05,7,SEA\\x0A\" is never closed; expected a closing quote before the end of the file.",
            CsvError("quote.csv", Header + "2001-01-01 00:04,104,\"ORD\n2001-01-01 00:05,7,SEA\n"));
    }

    [Fact]
    public void Text_after_a_closing_quote_is_refused_with_its_line()
    {
        Assert.Equal($"{PathOf("after-quote.csv")}, line 3, column 3 (origin): text after a closing quote in \"2001-01-01 00:04,104,\"OR\"D\"; expected a comma or the end of the line after a quoted field (a quote inside one is written twice: \"\").",
            CsvError("after-quote.csv", Header + "2001-01-01 00:04,104,\"OR\"D\n"));
    }

    [Fact]
    public void A_repeated_header_name_is_named_with_both_columns_even_when_only_its_case_differs()
    {
        Assert.Equal($"{PathOf("repeated.csv")}, line 1, column 3: the header name \"delay\" repeats column 2's \"delay\"; expected each column name once.",
            CsvError("repeated.csv", "date,delay,delay\n2001-01-01 00:01,33,5\n"));
        Assert.Equal($"{PathOf("case.csv")}, line 1, column 3: the header name \"Delay\" repeats column 2's \"delay\"; expected each column name once.",
            CsvError("case.csv", "date,delay,Delay\n2001-01-01 00:01,33,5\n"));
        Assert.Equal($"{PathOf("empty-name.csv")}, line 1, column 2: the header name is empty; expected a name for every column.",
            CsvError("empty-name.csv", "date,,origin\n2001-01-01 00:01,33,LAS\n"));
    }

    [Fact]
    public void A_header_without_rows_or_a_file_of_blank_lines_says_what_is_missing()
    {
        Assert.Equal($"{PathOf("header.csv")}: the header has no rows after it; expected at least one row of data.", CsvError("header.csv", "a,b\n"));
        Assert.Equal($"{PathOf("blank.csv")}: the file holds only blank lines; expected a header line naming the columns.", CsvError("blank.csv", "\n\r\n\n"));
    }

    [Fact]
    public void A_nul_byte_is_named_escaped_and_never_printed_raw()
    {
        var message = CsvError("nul.csv", Header + "2001-01-01 00:04,104,O\0RD\n");
        Assert.Equal($"{PathOf("nul.csv")}, line 3, column 3 (origin): a NUL byte at byte offset 64 in \"O\\0RD\"; expected text (a NUL byte means a binary or UTF-16 file).", message);
        Assert.DoesNotContain('\0', message);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_are_named_with_their_line_not_the_line_before()
    {
        // DuckDB said "Line: 2; Original Line: a,b" for the third line.
        Assert.Equal($"{PathOf("latin1.csv")}, line 3, column 2 (b): bytes that are not UTF-8 (\\xFF\\xFE); expected a UTF-8 text file (save it as UTF-8).",
            CsvError("latin1.csv", [.. "a,b\n1,2\n3,"u8, 0xff, 0xfe, (byte)'\n']));
    }

    [Fact]
    public void Mixed_line_breaks_are_named_with_the_first_line_that_differs()
    {
        Assert.Equal($"{PathOf("mixed.csv")}, line 3: ends with \\r\\n (Windows) while the header (line 1) ends with \\n; expected one kind of line break throughout the file.",
            CsvError("mixed.csv", "a,b\n1,x\n2,\"y\"\r\n"));
    }

    [Fact]
    public void A_directory_is_named_as_a_directory_not_as_a_missing_file()
    {
        Directory.CreateDirectory(PathOf("flights.csv"));
        Assert.Equal($"{PathOf("flights.csv")}: a directory; expected a data file.", Assert.Throws<InvalidDataException>(() => TableIO.ReadCsv(PathOf("flights.csv"))).Message);
        Assert.Equal($"{PathOf("flights.csv")}: a directory; expected a data file.", Assert.Throws<InvalidDataException>(() => TableIO.ReadParquet(PathOf("flights.csv"))).Message);
    }

    [Fact]
    public void An_oversized_field_in_a_ragged_row_is_cut_short_in_the_message()
    {
        var field = new string('X', 30_000);
        var message = CsvError("oversized.csv", Header + $"2001-01-01 00:04,{field}\n");
        Assert.StartsWith($"{PathOf("oversized.csv")}, line 3, column 3 (origin): missing, the row has 2 field(s): \"2001-01-01 00:04,XXXX", message);
        Assert.EndsWith("… (30,017 characters)\"; expected 3 fields as in the header.", message);
        Assert.True(message.Length < 300, message);
    }

    [Fact]
    public void In_a_large_file_the_first_bad_row_past_the_first_blocks_is_named_by_its_line()
    {
        // About 2.6 MB: the check reads blocks of 1 MiB, so the bad row lies beyond the first block boundaries.
        var lines = new[] { "id,value" }.Concat(Enumerable.Range(0, 200_000).Select(i => $"{i},{i * 7}")).ToArray();
        lines[150_000] = "150000";
        lines[180_000] = "1,2,3";
        File.WriteAllLines(PathOf("large.csv"), lines);
        Assert.Equal($"{PathOf("large.csv")}, line 150001, column 2 (value): missing, the row has 1 field(s): \"150000\"; expected 2 fields as in the header.",
            Assert.Throws<InvalidDataException>(() => TableIO.ReadCsv(PathOf("large.csv"))).Message);
    }

    [Fact]
    public void Lines_inside_quoted_fields_count_towards_the_line_named_across_blocks()
    {
        // Every row spans two lines (a quoted line break) and holds a doubled quote; the file spans several blocks.
        var rows = Enumerable.Range(0, 60_000).Select(i => $"{i},\"first \"\"{i}\"\"\nsecond\"").ToList();
        rows[50_000] = "50000,\"x\",extra";
        File.WriteAllText(PathOf("quoted.csv"), "id,text\n" + string.Join("\n", rows) + "\n");
        Assert.Equal($"{PathOf("quoted.csv")}, line {2 + 50_000 * 2}, column 3: a field beyond the header's last column (text), the row has 3 fields: \"50000,\"x\",extra\"; expected 2 fields as in the header.",
            Assert.Throws<InvalidDataException>(() => TableIO.ReadCsv(PathOf("quoted.csv"))).Message);
    }

    [Fact]
    public void Well_formed_files_still_read_blank_lines_crlf_bom_quotes_and_no_final_line_break()
    {
        File.WriteAllBytes(PathOf("good.csv"), [0xEF, 0xBB, 0xBF, .. "a,b\r\n1,\"x \"\"y\"\"\r\nz\"\r\n\r\n2,p\"q\r\n3,\"w\""u8]);
        var table = TableIO.ReadCsv(PathOf("good.csv"));
        Assert.Equal(["a", "b"], table.ColumnNames);
        Assert.Equal([1L, 2, 3], table.Get<long>("a").Values.ToArray());
        var b = table.GetString("b");
        Assert.Equal(["x \"y\"\r\nz", "p\"q", "w"], Enumerable.Range(0, 3).Select(i => b[i]));
    }

    [Fact]
    public void A_value_that_does_not_fit_the_type_detected_from_the_first_rows_reads_the_column_as_text()
    {
        // DuckDB detects types from its first 20,480 rows; row 25,000's "abc" failed the whole read with a
        // conversion error before. Now the column is text, and validation names the row.
        var lines = new[] { "id,delay" }.Concat(Enumerable.Range(0, 30_000).Select(i => $"{i},{i % 50}")).ToArray();
        lines[25_000] = "24999,abc";
        File.WriteAllLines(PathOf("late.csv"), lines);
        var table = TableIO.ReadCsv(PathOf("late.csv"));
        Assert.Equal(ColumnType.String, table["delay"].Type);
        Assert.Equal("abc", table.GetString("delay")[24_999]);
        Assert.Equal(ColumnType.Int64, table["id"].Type);
    }

    [Fact]
    public void A_truncated_parquet_file_and_one_of_another_format_are_named_as_such()
    {
        TableIO.WriteParquet(Flights(), PathOf("whole.parquet"));
        var bytes = File.ReadAllBytes(PathOf("whole.parquet"));
        File.WriteAllBytes(PathOf("truncated.parquet"), bytes[..(bytes.Length / 2)]);
        var truncated = Assert.Throws<InvalidDataException>(() => TableIO.ReadParquet(PathOf("truncated.parquet"))).Message;
        Assert.Equal($"{PathOf("truncated.parquet")}: a truncated Parquet file, its {bytes.Length / 2:N0} bytes do not end with the Parquet marker \"PAR1\"; expected a whole file (copy or download it again).", truncated);
        File.WriteAllText(PathOf("text.parquet"), "date,delay\n");
        Assert.Equal($"{PathOf("text.parquet")}: not a Parquet file, it starts with \"date\"; expected the Parquet marker \"PAR1\".",
            Assert.Throws<InvalidDataException>(() => TableIO.ReadParquet(PathOf("text.parquet"))).Message);
    }

    [Fact]
    public void A_parquet_file_with_a_damaged_column_names_the_column_and_not_the_sql()
    {
        TableIO.WriteParquet(Flights(), PathOf("flights.parquet"));
        var offsets = TableIO.Query($"SELECT path_in_schema, data_page_offset FROM parquet_metadata('{PathOf("flights.parquet")}')");
        var names = offsets.GetString("path_in_schema");
        var origin = Enumerable.Range(0, offsets.RowCount).Single(i => names[i] == "origin");
        var at = (int)offsets.Get<long>("data_page_offset").Values.Span[origin];
        var bytes = File.ReadAllBytes(PathOf("flights.parquet"));
        bytes.AsSpan(at, 24).Fill(0xFF); // the page header of the origin column's data
        File.WriteAllBytes(PathOf("damaged.parquet"), bytes);

        var message = Assert.Throws<InvalidDataException>(() => TableIO.ReadParquet(PathOf("damaged.parquet"))).Message;
        Assert.StartsWith($"{PathOf("damaged.parquet")}, column 2 (origin): a damaged Parquet file, the column's data cannot be read (", message);
        Assert.EndsWith("); expected an undamaged file.", message);
        Assert.DoesNotContain("SELECT", message);
        Assert.DoesNotContain("\n", message);
    }

    static Table Flights() => new([
        new Column<long>("delay", Enumerable.Range(0, 5000).Select(i => (long)(i % 97)).ToArray()),
        StringColumn.FromValues("origin", [.. Enumerable.Range(0, 5000).Select(i => $"airport-{i * 7919 % 5000}")]),
    ]);
}
