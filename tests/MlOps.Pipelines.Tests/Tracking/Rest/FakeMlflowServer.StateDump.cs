using System.Globalization;
using System.Security.Cryptography;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

sealed partial class FakeMlflowServer
{
    /// <summary>
    /// Everything the server holds, one fact a line in ordinal order, with what the server made up left out or
    /// replaced: run ids (in paths, tags and artefact contents) by the run's <c>mlops.run_key</c> tag (or its name),
    /// creation and update times dropped.
    /// Two servers that were told the same things, however often the answers were lost, dump the same text; a
    /// second run, a doubled metric point or an extra version shows as a line more.
    /// </summary>
    public string DumpState(string runKeyTag = "mlops.run_key")
    {
        lock (_lock)
        {
            var keys = _runs.Values.ToDictionary(r => r.RunId, r => r.Tags.GetValueOrDefault(runKeyTag) ?? "name:" + r.RunName, StringComparer.Ordinal);
            string Normalize(string text) => keys.Aggregate(text, (t, k) => t.Replace(k.Key, "<" + k.Value + ">", StringComparison.Ordinal));
            static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);
            var lines = new List<string>();
            foreach (var experiment in _experiments.Values)
            {
                lines.Add($"experiment {experiment.Name} id={experiment.Id} {experiment.LifecycleStage}");
                lines.AddRange(experiment.Tags.Select(t => $"experiment {experiment.Name} tag {t.Key}={t.Value}"));
            }
            foreach (var run in _runs.Values)
            {
                // Runs are counted by their key: two runs with one key give two "run" lines.
                var id = $"run <{keys[run.RunId]}>";
                lines.Add($"{id} experiment={run.ExperimentId} name={run.RunName} status={run.Status} start={run.StartTime} end={run.EndTime} {run.LifecycleStage}");
                lines.AddRange(run.Params.Select(p => $"{id} param {p.Key}={p.Value}"));
                lines.AddRange(run.Tags.Select(t => $"{id} tag {t.Key}={Normalize(t.Value)}"));
                lines.AddRange(run.Metrics.Select(m => $"{id} metric {m.Key} step={m.Step} t={m.Timestamp} value={F(m.Value)}"));
                lines.AddRange(run.Inputs.Select(i => $"{id} input {i.Name} {i.Digest} {i.SourceType} {i.Source} {string.Join(",", i.Tags.Select(t => t.Key + "=" + t.Value).Order(StringComparer.Ordinal))}"));
            }
            // Contents are normalised too: a logged model's MLmodel names the server's run id.
            lines.AddRange(_artifacts.Select(a => $"artifact {Normalize(a.Key)} sha256={Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Normalize(System.Text.Encoding.UTF8.GetString(a.Value)))))}"));
            foreach (var model in _models.Values)
            {
                lines.Add($"model {model.Name} description={model.Description}");
                lines.AddRange(model.Tags.Select(t => $"model {model.Name} tag {t.Key}={t.Value}"));
                lines.AddRange(model.Aliases.Select(a => $"model {model.Name} alias {a.Key}={a.Value}"));
                foreach (var version in model.Versions)
                {
                    var id = $"model {model.Name} version {version.Version}";
                    lines.Add($"{id} run={(version.RunId is null ? "" : keys.GetValueOrDefault(version.RunId, version.RunId))} source={Normalize(version.Source)} status={version.Status}");
                    lines.AddRange(version.Tags.Select(t => $"{id} tag {t.Key}={t.Value}"));
                }
            }
            lines.Sort(StringComparer.Ordinal);
            return string.Join("\n", lines);
        }
    }
}
