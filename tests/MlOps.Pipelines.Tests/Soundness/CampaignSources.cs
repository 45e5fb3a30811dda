namespace MlOps.Pipelines.Soundness;

/// <summary>
/// The small library and pipeline the soundness campaign edits. Every kind of code the cache key must cover is
/// here and runs: a library codec and a pipeline codec, a comparer and an <c>IProgress&lt;T&gt;</c> handed to
/// framework and library code, a lambda passed to a library, virtual dispatch, static constructors (explicit and
/// field initialisers), a record serialised to JSON (its computed property read by reflection only). Members named
/// <c>Unreached…</c> run in no target, and <c>UnusedSquare</c> is an override no target constructs: edits there
/// should rerun nothing.
/// </summary>
static class CampaignSources
{
    public const string LibraryName = "CampaignLib";
    public const string PipelineName = "CampaignPipeline";

    public const string Library = """
        using System;
        using System.IO;

        namespace CampaignLib
        {
            public static class Stats
            {
                public static double Mean(double[] values)
                {
                    double total = 0;
                    for (int i = 0; i < values.Length; i++) total += values[i];
                    return values.Length == 0 ? 0 : total / values.Length;
                }

                public static double[] Apply(double[] values, Func<double, double> transform)
                {
                    var result = new double[values.Length];
                    for (int i = 0; i < values.Length; i++) result[i] = transform(values[i]) + Offsets.Base;
                    return result;
                }

                public static void Accumulate(double[] values, IProgress<double> progress)
                {
                    double running = 1;
                    foreach (var value in values)
                    {
                        running += value * 2;
                        progress.Report(running);
                    }
                }

                public static int[] Histogram(double[] values, double width, int buckets)
                {
                    var counts = new int[buckets];
                    foreach (var value in values)
                    {
                        int bucket = (int)(value / width);
                        if (bucket >= buckets) bucket = buckets - 1;
                        if (bucket < 0) bucket = 0;
                        counts[bucket] += 1;
                    }
                    return counts;
                }

                public static int UnreachedHelper(int x)
                {
                    int y = x * 7;
                    return y + 3;
                }
            }

            public abstract class Shape
            {
                public abstract double Area();
                public virtual double Scale() => 2.0;
            }

            public sealed class Rectangle : Shape
            {
                readonly double _width;
                readonly double _height;

                public Rectangle(double width, double height)
                {
                    _width = width;
                    _height = height;
                }

                public override double Area() => _width * _height - 1;
                public override double Scale() => 3.0;
            }

            public sealed class UnusedSquare : Shape
            {
                public override double Area() => 4.0 * 4.0;
            }

            public static class Weights
            {
                public static readonly double[] Table = Build();

                static double[] Build()
                {
                    var table = new double[4];
                    for (int i = 0; i < table.Length; i++) table[i] = i * 0.5 + 1;
                    return table;
                }
            }

            public static class Offsets
            {
                public static readonly double Base;

                static Offsets()
                {
                    Base = 0.25;
                }
            }

            public static class Codec
            {
                public static void Write(double[] values, Stream stream)
                {
                    using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, true);
                    writer.Write(values.Length);
                    foreach (var value in values) writer.Write(value * 1.5);
                }

                public static double[] Read(Stream stream)
                {
                    using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, true);
                    var values = new double[reader.ReadInt32()];
                    for (int i = 0; i < values.Length; i++) values[i] = reader.ReadDouble() / 1.5 + 0.125;
                    return values;
                }
            }

            public class UnreachedType
            {
                public int Compute()
                {
                    int a = 6;
                    return a * 7;
                }
            }
        }
        """;

    public const string Pipeline = """
        using System;
        using System.Collections.Generic;
        using System.IO;
        using System.Linq;
        using System.Text;
        using MlOps.Pipelines;
        using CampaignLib;

        namespace CampaignPipeline
        {
            sealed class Descending : IComparer<double>
            {
                public int Compare(double x, double y) => y.CompareTo(x);
            }

            sealed class Collector : IProgress<double>
            {
                public readonly List<double> Seen = new List<double>();

                public void Report(double value) => Seen.Add(Math.Round(value * 10) / 10);
            }

            public sealed record Summary(double Mean, double Area, int Count)
            {
                public double Ratio => Count == 0 ? 0 : Mean / Count + 0.5;
            }

            static class Labels
            {
                public static readonly string Prefix;

                static Labels()
                {
                    Prefix = "v" + 2;
                }
            }

            static class UnreachedHelpers
            {
                public static int Twice(int x) => x * 2 + 1;
            }

            public sealed class Campaign : MlPipeline
            {
                readonly Artifact<double[]> Values = Artifact.Create<double[]>("values", "values.bin", Codec.Write, Codec.Read);
                readonly Artifact<string> Sorted = Artifact.Create<string>("sorted", "sorted.txt", WriteText, ReadText);
                readonly Artifact<Summary> Report = Artifact.Json<Summary>("summary");
                readonly Artifact<string> Count = Artifact.Text("count");

                public Target Produce => _ => _.Produces(Values).Executes(context =>
                {
                    var values = new double[6];
                    for (int i = 0; i < values.Length; i++) values[i] = (i * 3 % 5) + Weights.Table[i % 4];
                    context.Save(Values, Stats.Apply(values, x => x * 2 - 1));
                });

                public Target Order => _ => _.Consumes(Values).Produces(Sorted).Executes(context =>
                {
                    var values = context.Load(Values);
                    Array.Sort(values, new Descending());
                    var progress = new Collector();
                    Stats.Accumulate(values, progress);
                    context.Save(Sorted, Labels.Prefix + ":" + string.Join(",", values) + "|" + string.Join(",", progress.Seen));
                });

                public Target Summarize => _ => _.Consumes(Values).Produces(Report).Executes(context =>
                {
                    var values = context.Load(Values);
                    Shape shape = new Rectangle(values.Length, 2);
                    context.Save(Report, new Summary(Stats.Mean(values), shape.Area() * shape.Scale(), values.Length));
                });

                public Target Tally => _ => _.Consumes(Sorted).Produces(Count).Executes(context =>
                {
                    var text = context.Load(Sorted);
                    context.Save(Count, "digits " + text.Count(char.IsDigit) + " of " + text.Length);
                });

                public Target Bucket => _ => _.Consumes(Values).Produces(Buckets).Executes(context =>
                {
                    var values = context.Load(Values);
                    var counts = Stats.Histogram(values, 2.5, 4);
                    var total = 0;
                    for (int i = 0; i < counts.Length; i++) total += counts[i] * (i + 1);
                    context.Save(Buckets, string.Join(";", counts) + " weighted " + total);
                });

                readonly Artifact<string> Buckets = Artifact.Text("buckets");

                static void WriteText(string text, Stream stream)
                {
                    var bytes = Encoding.UTF8.GetBytes(text + "\n");
                    stream.Write(bytes, 0, bytes.Length);
                }

                static string ReadText(Stream stream) => new StreamReader(stream).ReadToEnd().TrimEnd('\n') + "#";

                static int UnreachedMethod(int x)
                {
                    int y = x + 1;
                    return y * 3;
                }
            }
        }
        """;
}
