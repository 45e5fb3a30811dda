namespace MlOps.Pipelines.Tests;

/// <summary>
/// A pipeline whose artefact reader is picked when it is constructed: version 2 stands for an edit of version 1's
/// reader (it inverts the labels, as in the issue's repro), the targets' own code staying the same.
/// </summary>
sealed class LabelledPipeline : RecordingPipeline
{
    public static int ReaderVersion = 1;

    readonly Artifact<string> Labels = Artifact.Create<string>("labels", "labels.txt",
        (text, stream) => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)), ReaderVersion == 1 ? ReadLabels : ReadInvertedLabels);

    readonly Artifact<string> Count = Artifact.Text("count");

    public Target Label => _ => _.Produces(Labels).Executes(context =>
    {
        Mark(context);
        context.Save(Labels, "1 1 0");
    });

    public Target Tally => _ => _.Consumes(Labels).Produces(Count).Executes(context =>
    {
        Mark(context);
        context.Save(Count, $"delayed: {context.Load(Labels).Split(' ').Count(l => l == "1")}");
    });

    static string ReadLabels(Stream stream) => new StreamReader(stream).ReadToEnd();

    static string ReadInvertedLabels(Stream stream) =>
        string.Join(' ', new StreamReader(stream).ReadToEnd().Split(' ').Select(l => l == "1" ? "0" : "1"));
}

public sealed class CodecEdits : IDisposable
{
    readonly Harness _harness = new();

    public CodecEdits() => LabelledPipeline.ReaderVersion = 1;

    public void Dispose()
    {
        LabelledPipeline.ReaderVersion = 1;
        _harness.Dispose();
    }

    IReadOnlyList<string> Build(int readerVersion)
    {
        LabelledPipeline.ReaderVersion = readerVersion;
        var result = _harness.Run(new PipelineHost().Add<LabelledPipeline>(), ["Tally"]);
        Assert.True(result.ExitCode == 0, result.All);
        return RecordingPipeline.Ran(result);
    }

    string Count => File.ReadAllText(Path.Combine(_harness.Root, "artifacts", "LabelledPipeline", "count.txt"));

    [Fact]
    public void Editing_the_reader_of_a_consumed_artifact_reruns_the_consumer_and_reverting_it_does_not_hit_the_edited_entry()
    {
        Assert.Equal(["Label", "Tally"], Build(readerVersion: 1));
        Assert.Equal("delayed: 2", Count);

        // The edited reader: the consumer reruns (the producer's output is unchanged, but the reader is in its key too).
        Assert.Contains("Tally", Build(readerVersion: 2));
        Assert.Equal("delayed: 1", Count);

        // Reverted: the original entry comes back, never the one the edited reader stored.
        Build(readerVersion: 1);
        Assert.Equal("delayed: 2", Count);
        Build(readerVersion: 2);
        Assert.Equal("delayed: 1", Count);
    }
}
