using MlOps.Pipelines;
using MlOps.Pipelines.ML.Data.Tables;
using MlOps.Pipelines.ML.Data.Validation;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training;

namespace MlOps.Pipelines.Examples;

/// <summary>
/// Predicts whether a US flight arrives more than <see cref="DelayThreshold"/> minutes late, from its
/// schedule, distance and airports. validate → features → train → evaluate → deploy; deploy ships only a
/// model whose evaluation blessed it.
/// </summary>
public sealed partial class FlightDelays : MlPipeline
{
    [Parameter("Flights file (CSV or Parquet) with date, delay, distance, origin, destination")]
    readonly AbsolutePath? Data;

    [Parameter("Fetch the full 3M-row file from the npm package vega-datasets and use it instead of --data")]
    readonly bool FullData;

    [Parameter("Move rows that fail validation to artifacts/FlightDelays/quarantine.csv and go on with the rest")]
    readonly bool Quarantine;

    [Parameter("Minutes late above which a flight counts as delayed", Minimum = 0, Maximum = 1440)]
    readonly int DelayThreshold = 15;

    [Parameter("Share of the latest flights held out for evaluation", ExclusiveMinimum = 0, ExclusiveMaximum = 1)]
    readonly double TestFraction = 0.2;

    [Parameter("Airports with a one-hot column each (the most frequent in training); the rest share one", Minimum = 1, Maximum = 1000)]
    readonly int TopAirports = 15;

    [Parameter("Where feature kernels run: cpu (vectorised, all cores) or reference (scalar, one thread)")]
    readonly KernelBackend Kernels = KernelBackend.Cpu;

    [Parameter("Boosting rounds of the gradient-boosted trees", Minimum = 1, Maximum = 100_000)]
    readonly int Trees = 100;

    [Parameter("Largest depth of a tree", Minimum = 1, Maximum = 30)]
    readonly int MaxDepth = 6;

    [Parameter("Learning rate (eta) of the gradient-boosted trees", ExclusiveMinimum = 0, Maximum = 1)]
    readonly double Eta = 0.3;

    [Parameter("Seed of the trees' row and column sampling", Minimum = 0)]
    readonly int Seed = 7;

    [Parameter("Inverse L2 strength of the logistic-regression baseline (scikit-learn's C; smaller is stronger)", ExclusiveMinimum = 0)]
    readonly double BaselineC = 1;

    [Parameter("Most L-BFGS iterations of the logistic-regression baseline", Minimum = 1, Maximum = 100_000)]
    readonly int BaselineIterations = 100;

    [Parameter("Lowest test ROC-AUC that may ship", Minimum = 0, Maximum = 1)]
    readonly double MinAuc = 0.6;

    [Parameter("Lowest test ROC-AUC of every origin airport with at least SliceMinRows held-out flights", Minimum = 0, Maximum = 1)]
    readonly double MinSliceAuc = 0.5;

    [Parameter("Held-out flights an origin airport needs for its slice gate", Minimum = 1)]
    readonly int SliceMinRows = 500;

    [Parameter("Largest drop of test ROC-AUC below the registered champion's that may still ship", Minimum = 0, Maximum = 1)]
    readonly double MaxAucDrop = 0.005;

    readonly Artifact<ValidationReport> Validation = Artifact.Json<ValidationReport>("validation");
    readonly Artifact<Table> CleanFlights = Artifact.Create<Table>("flights", "flights.table", TableFormat.Write, TableFormat.Read);
    readonly Artifact<DataProfile> Profile = Artifact.Json<DataProfile>("profile");
    readonly Artifact<Dataset> DatasetIdentity = Artifact.Json<Dataset>("dataset");
    readonly Artifact<FeatureTransform> Transform = Artifact.Create<FeatureTransform>("transform", "transform.json", (t, stream) => t.Save(stream), FeatureTransform.Load);
    readonly Artifact<TrainingSet> TrainFeatures = TrainingSet.Artifact("train-features");
    readonly Artifact<TrainingSet> TestFeatures = TrainingSet.Artifact("test-features");
    readonly Artifact<Table> TestFlights = Artifact.Create<Table>("test-flights", "test-flights.table", TableFormat.Write, TableFormat.Read);
    readonly Artifact<AbsolutePath> Model = Artifact.Directory("model");
    readonly Artifact<LinearModel> Baseline = Artifact.Create<LinearModel>("baseline", "baseline.bin", (model, stream) => model.Save(stream), LinearModel.Load);
    readonly Artifact<EvaluationReport> Evaluation = Artifact.Json<EvaluationReport>("evaluation");

    public Target FetchFullData => _ => _
        .Description("Fetch flights-3m.parquet from npm (vega-datasets 3.2.1)")
        .OnlyWhen(() => FullData)
        .Executes(FetchFullDataFile);

    public Target Validate => _ => _
        .Description("Check the flights file against the declared schema; save the report and the clean table")
        .DependsOn(FetchFullData)
        .Requires(() => Data)
        .Produces(Validation, CleanFlights, Profile, DatasetIdentity)
        .Executes(ValidateData);

    public Target Features => _ => _
        .Description("Split by time; fit the feature transform on the training part; write the feature matrices")
        .Consumes(CleanFlights)
        .Produces(Transform, TrainFeatures, TestFeatures, TestFlights)
        .Executes(ComputeFeatures);

    public Target Train => _ => _
        .Description("Fit gradient-boosted trees (and a logistic-regression baseline); write the model package")
        .Consumes(TrainFeatures, Transform, Profile, DatasetIdentity, CleanFlights)
        .Produces(Model, Baseline)
        .Executes(TrainModel);

    public Target Evaluate => _ => _
        .Description("Score the held-out flights through the model package; bless the model when its AUC reaches MinAuc")
        .Consumes(Model, Baseline, TestFeatures, TestFlights)
        .Produces(Evaluation)
        .Executes(EvaluateModel);

    public Target Deploy => _ => _
        .Description("Ship the blessed model: artifacts/FlightDelays/deployed, a registered version, the champion alias (refuses without a blessing or below the champion)")
        .Consumes(Model, Evaluation)
        .Cached(false)
        .Executes(DeployModel);

    public Target Rollback => _ => _
        .Description("Point the champion alias back at the version the current champion replaced")
        .Cached(false)
        .Executes(RollbackModel);

    /// <summary>The flights file this run reads.</summary>
    AbsolutePath InputFile => FullData ? FullDataFile : Data!;

    AbsolutePath FullDataFile => RootDirectory / ".nuke" / "data" / "flights-3m.parquet";

    public enum KernelBackend
    {
        Cpu,
        Reference,
    }

    string Display(AbsolutePath path) =>
        ((string)path).StartsWith(RootDirectory + "/", StringComparison.Ordinal) ? path.RelativeTo(RootDirectory) : path;
}
