using MlOps.Pipelines.Output;

namespace MlOps.Pipelines.Tracking;

/// <summary>
/// Masks secrets in a tracking operation before it is journaled: everything reaches a tracking store through the
/// journal, so this is the one place tracking needs. Free text (tag and parameter values, notes, run names) gets
/// <c>***</c>; names MLflow restricts to letters, digits and <c>_ - . / space</c> (metric, parameter and tag keys,
/// artefact paths, aliases) get <c>masked</c>, so a masked operation is still one the store accepts.
/// </summary>
internal static class OperationMasking
{
    public static TrackingOperation Mask(this SecretMasker masker, TrackingOperation operation)
    {
        if (masker.IsEmpty) return operation;
        string Text(string text) => masker.Apply(text);
        string Name(string name) => masker.Apply(name, SecretMasker.NameMask);
        IReadOnlyList<Tag> Tags(IReadOnlyList<Tag> tags) => [.. tags.Select(t => new Tag(Name(t.Key), Text(t.Value)))];
        return operation switch
        {
            StartRun start => start with
            {
                RunKey = Text(start.RunKey), Experiment = Text(start.Experiment), RunName = Text(start.RunName), Tags = Tags(start.Tags),
                ParentRunKey = start.ParentRunKey is null ? null : Text(start.ParentRunKey),
            },
            LogBatch batch => batch with
            {
                RunKey = Text(batch.RunKey),
                Metrics = [.. batch.Metrics.Select(m => m with { Key = Name(m.Key) })],
                Params = [.. batch.Params.Select(p => new Param(Name(p.Key), Text(p.Value)))],
                Tags = Tags(batch.Tags),
            },
            LogInputs inputs => inputs with
            {
                RunKey = Text(inputs.RunKey),
                Datasets = [.. inputs.Datasets.Select(d => new DatasetInput(
                    d.Dataset with
                    {
                        Name = Text(d.Dataset.Name), Digest = Text(d.Dataset.Digest), Source = Text(d.Dataset.Source),
                        Schema = d.Dataset.Schema is null ? null : Text(d.Dataset.Schema), Profile = d.Dataset.Profile is null ? null : Text(d.Dataset.Profile),
                    },
                    Tags(d.Tags)))],
            },
            LogArtifact artifact => artifact with { RunKey = Text(artifact.RunKey), ArtifactPath = Name(artifact.ArtifactPath) },
            EndRun end => end with { RunKey = Text(end.RunKey) },
            RegisterVersion register => register with
            {
                Model = Text(register.Model), RunKey = Text(register.RunKey), ArtifactPath = Name(register.ArtifactPath),
                Tags = Tags(register.Tags), Aliases = [.. register.Aliases.Select(Name)],
            },
            SetAlias alias => alias with { Model = Text(alias.Model), Alias = Name(alias.Alias), Version = Text(alias.Version) },
            DeleteAlias alias => alias with { Model = Text(alias.Model), Alias = Name(alias.Alias) },
            _ => throw new InvalidOperationException($"{operation.GetType().Name} has no masking rule; add one to {nameof(OperationMasking)}."),
        };
    }
}
