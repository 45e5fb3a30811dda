using MlOps.Pipelines.Tracking.Local;

namespace MlOps.Pipelines.Tests.Tracking.Local;

public sealed class PythonFloatFormatting
{
    [Theory]
    [InlineData(0.5, "0.5")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(1.0, "1.0")]
    [InlineData(100.0, "100.0")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(9999999999999998.0, "9999999999999998.0")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.001, "0.001")]
    [InlineData(0.00001234, "1.234e-05")]
    [InlineData(-1e-7, "-1e-07")]
    [InlineData(123456789.123, "123456789.123")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.0, "0.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(3.14, "3.14")]
    [InlineData(1.5e300, "1.5e+300")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.0 / 3.0, "0.3333333333333333")]
    [InlineData(9007199254740992.0, "9007199254740992.0")]
    [InlineData(12345678901234567890.0, "1.2345678901234567e+19")]
    [InlineData(double.MaxValue, "1.7976931348623157e+308")]
    [InlineData(double.NaN, "nan")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    public void Doubles_are_written_as_pythons_str_of_a_float(double value, string expected) =>
        Assert.Equal(expected, PythonFloat.Format(value));

    [Fact]
    public void The_sum_of_a_tenth_and_a_fifth_keeps_its_rounding_error() =>
        Assert.Equal("0.30000000000000004", PythonFloat.Format(0.1 + 0.2));

    [Theory]
    [InlineData("nan", double.NaN)]
    [InlineData("NaN", double.NaN)]
    [InlineData("inf", double.PositiveInfinity)]
    [InlineData("-inf", double.NegativeInfinity)]
    [InlineData("Infinity", double.PositiveInfinity)]
    [InlineData("1e-05", 1e-05)]
    [InlineData("1e+16", 1e16)]
    [InlineData("100.0", 100.0)]
    [InlineData("-0.25", -0.25)]
    public void Metric_values_are_read_as_pythons_float_reads_them(string text, double expected) =>
        Assert.Equal(expected, PythonFloat.Parse(text));
}
