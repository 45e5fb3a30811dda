namespace MlOps.Pipelines.ML.Training.Trees;

/// <summary>The boosting loop of <see cref="GradientBoostedTrees"/>: one fit, start to end.</summary>
internal sealed class Booster(GradientBoostedTreesOptions options, TrainingData data)
{
    public GradientBoostedTreesModel Run(IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        var threads = options.WorkerThreads;
        var features = data.Features;
        var n = features.Rows;
        var classes = options.TreesPerRound;
        var objective = options.Objective;
        Objectives.CheckLabels(options, data.Labels.Span, "Training");
        var validation = data.ValidationFeatures;
        if (validation is not null) Objectives.CheckLabels(options, data.ValidationLabels.Span, "Validation");
        if (options.EarlyStoppingRounds is not null && validation is null)
            throw new ArgumentException("Early stopping needs validation data.");
        var layout = Binning.FindCuts(features, options.MaxBins, threads);
        var binned = Binning.Apply(features, layout, threads, columnMajor: true);
        // Validation rows go through the same bins: a tree sends a binned row where its thresholds send the raw row.
        var validBinned = validation is null ? null : Binning.Apply(validation, layout, threads, columnMajor: false);
        cancellation.ThrowIfCancellationRequested();

        var baseMargin = Objectives.BaseMargin(options);
        var margins = new double[checked(n * classes)];
        Array.Fill(margins, baseMargin);
        var validMargins = validBinned is null ? null : new double[validBinned.Rows * classes];
        if (validMargins is not null) Array.Fill(validMargins, baseMargin);
        var gradients = new double[n * classes];
        var hessians = new double[n * classes];
        var grower = new TreeGrower(binned, layout, options, threads);

        var trees = new List<TreeNode[]>();
        var bestLoss = double.PositiveInfinity;
        var bestRound = -1;
        for (var round = 0; round < options.Rounds; round++)
        {
            cancellation.ThrowIfCancellationRequested();
            Objectives.Gradients(objective, classes, margins, data.Labels, gradients, hessians, threads);
            for (var k = 0; k < classes; k++)
            {
                var tree = grower.Grow(gradients, hessians, k * n, trees.Count, margins, k, classes);
                if (validBinned is not null) TreeGrower.AddToMargins(tree, validBinned, validMargins!, k, classes, threads);
                trees.Add(tree);
            }

            double? validLoss = validBinned is null ? null : Objectives.Loss(objective, classes, validMargins!, data.ValidationLabels, threads);
            if (progress is not null)
            {
                var trainLoss = Objectives.Loss(objective, classes, margins, data.Labels, threads);
                progress.Report(new TrainingProgress(round + 1, options.Rounds, trainLoss) { ValidationLoss = validLoss });
            }
            if (options.EarlyStoppingRounds is { } patience)
            {
                // Strictly lower only: on a tie the earlier, smaller model is kept.
                if (validLoss < bestLoss)
                {
                    bestLoss = validLoss.Value;
                    bestRound = round;
                }
                else if (round - bestRound >= patience) break;
            }
        }

        int? bestIteration = null;
        if (options.EarlyStoppingRounds is not null && bestRound >= 0)
        {
            bestIteration = bestRound;
            trees.RemoveRange((bestRound + 1) * classes, trees.Count - (bestRound + 1) * classes);
        }
        return new GradientBoostedTreesModel(objective, classes, options.BaseScore, [.. features.Names], [.. trees], bestIteration);
    }
}
