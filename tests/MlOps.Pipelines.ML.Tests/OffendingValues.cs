using MlOps.Pipelines.ML.Data;

namespace MlOps.Pipelines.ML.Tests;

/// <summary>How messages show a value from a user's file: escaped, and cut short with its length said.</summary>
public sealed class OffendingValues
{
    [Fact]
    public void Nul_and_control_characters_are_escaped_so_nothing_raw_reaches_the_terminal()
    {
        Assert.Equal("O\\0RD", OffendingValue.Show("O\0RD"));
        Assert.Equal("a\\x0Ab\\x0Dc\\x09d\\x1B[31m", OffendingValue.Show("a\nb\rc\td\u001b[31m"));
        Assert.Equal("\\x7F\\x85", OffendingValue.Show("\u007f\u0085"));
        Assert.Equal("zero\\u200Bwidth\\uFEFF", OffendingValue.Show("zero\u200bwidth\ufeff"));
        Assert.Equal("lone \\uD800", OffendingValue.Show("lone \ud800"));
        Assert.Equal("Zürich ✈ 😀", OffendingValue.Show("Zürich ✈ 😀"));
    }

    [Fact]
    public void A_value_longer_than_the_limit_is_cut_and_says_its_length()
    {
        Assert.Equal(new string('x', 100), OffendingValue.Show(new string('x', 100)));
        Assert.Equal(new string('x', 100) + "… (101 characters)", OffendingValue.Show(new string('x', 101)));
        Assert.Equal(new string('x', 100) + "… (30,000 characters)", OffendingValue.Show(new string('x', 30_000)));
    }

    [Fact]
    public void Cutting_never_splits_a_surrogate_pair_and_counts_it_as_one_character()
    {
        var emoji = string.Concat(Enumerable.Repeat("😀", 101));
        Assert.Equal(string.Concat(Enumerable.Repeat("😀", 100)) + "… (101 characters)", OffendingValue.Show(emoji));
        Assert.Equal(string.Concat(Enumerable.Repeat("😀", 100)), OffendingValue.Show(string.Concat(Enumerable.Repeat("😀", 100))));
    }

    [Fact]
    public void Quoting_wraps_the_shown_value()
    {
        Assert.Equal("\"a\\0\"", OffendingValue.Quote("a\0"));
    }
}
