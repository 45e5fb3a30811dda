using System.Text;
using System.Text.Json;
using MlOps.Pipelines.ML.Data.Tables;
using MlOps.Pipelines.ML.Data.Validation;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Packaging;
using MlOps.Pipelines.ML.Training;

namespace MlOps.Pipelines.ML.Tests.Packaging;

public sealed class ModelPackages : IDisposable
{
    // ------------------------------------------------------------------ helpers

    readonly string _root = Path.Combine(Path.GetTempPath(), "model-packages-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    string Folder(string name = "model") => Path.Combine(_root, name);

    const string Uuid = "0123456789abcdef0123456789abcdef";
    static readonly DateTime Created = new DateTime(2024, 5, 1, 12, 0, 0, DateTimeKind.Utc).AddTicks(1_234_560);

    /// <summary>Every column type a transform can read, some values missing; the label depends on amount, city and flag.</summary>
    static (Table Table, float[] Labels, float[] Classes) Rows(int rows, int seed)
    {
        var random = new Random(seed);
        var amount = new double[rows];
        var amountNulls = new bool[rows];
        var at = new DateTime[rows];
        var city = new string?[rows];
        var count = new long[rows];
        var flag = new bool[rows];
        var ratio = new float[rows];
        var small = new int[rows];
        var labels = new float[rows];
        var classes = new float[rows];
        for (var i = 0; i < rows; i++)
        {
            amount[i] = random.NextDouble() * 100;
            amountNulls[i] = random.Next(20) == 0;
            at[i] = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(random.Next(100_000));
            city[i] = random.Next(25) == 0 ? null : ((char)('a' + random.Next(4))).ToString();
            count[i] = random.Next(-3, 50);
            flag[i] = random.Next(2) == 0;
            ratio[i] = random.NextSingle();
            small[i] = random.Next(-5, 5);
            labels[i] = (amount[i] > 50) ^ (city[i] == "b") ^ (flag[i] && random.Next(5) == 0) ? 1 : 0;
            classes[i] = amount[i] > 66 ? 2 : amount[i] > 33 ? 1 : 0;
        }
        var table = new Table([
            new Column<double>("amount", amount, amountNulls), new Column<DateTime>("at", at), StringColumn.FromValues("city", city),
            new Column<long>("count", count), new Column<bool>("flag", flag), new Column<float>("ratio", ratio), new Column<int>("small", small),
        ]);
        return (table, labels, classes);
    }

    static FeatureSet Features() => new FeatureSet()
        .Add("amount", Feature.Numeric("amount").ImputeMedian())
        .Add("hour", Feature.Hour("at"))
        .Add("city", Feature.Category("city").OneHot())
        .Add("count", Feature.Numeric("count"))
        .Add("flag", Feature.Numeric("flag"))
        .Add("mix", Feature.Numeric("ratio") * Feature.Numeric("small"));

    sealed record Trained(Table Table, FeatureTransform Transform, GradientBoostedTreesModel Model);

    static Trained Train(int rounds = 8, bool multiclass = false)
    {
        var (table, labels, classes) = Rows(400, 1);
        var transform = Features().Fit(table, threads: 1);
        var options = multiclass
            ? new GradientBoostedTreesOptions(BoostingObjective.Softmax, NumClasses: 3, Rounds: rounds, MaxDepth: 3, Threads: 1)
            : new GradientBoostedTreesOptions(Rounds: rounds, MaxDepth: 3, Threads: 1);
        var model = new GradientBoostedTrees(options).Fit(new TrainingData(transform.Transform(table, threads: 1), multiclass ? classes : labels));
        return new Trained(table, transform, model);
    }

    static readonly IReadOnlyDictionary<string, object?>[] Example =
    [
        new Dictionary<string, object?>
        {
            ["amount"] = 12.5, ["at"] = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc), ["city"] = "b", ["count"] = 7L,
            ["flag"] = true, ["ratio"] = 0.5f, ["small"] = 3,
        },
        new Dictionary<string, object?>
        {
            ["amount"] = null, ["at"] = new DateTime(2024, 2, 3), ["city"] = null, ["count"] = 0L,
            ["flag"] = false, ["ratio"] = 1.25f, ["small"] = -1,
        },
    ];

    static PackageInfo Info(Trained trained) => new(
        ModelKinds.GradientBoostedTrees,
        new PackageLineage("4f2a9c1", "sha256:feed", new Dictionary<string, string> { ["rounds"] = "8", ["max_depth"] = "3" }))
    {
        Metrics = new Dictionary<string, double> { ["logloss"] = 0.25, ["auc"] = 0.875 },
        Profile = DataProfile.Of(trained.Table),
        InputExample = Example,
        ModelUuid = Uuid,
        CreatedUtc = Created,
    };

    static double[] Direct(Trained trained, Table table)
    {
        var features = trained.Transform.Transform(table);
        var output = new double[features.Rows * trained.Model.OutputsPerRow];
        trained.Model.Predict(features, output);
        return output;
    }

    static long[] Bits(double[] values) => [.. values.Select(BitConverter.DoubleToInt64Bits)];

    static Dictionary<string, object?> RowOf(Table table, int row) => table.Columns.ToDictionary(c => c.Name, c => c.IsNull(row) ? null : c switch
    {
        Column<double> d => d[row],
        Column<DateTime> t => t[row],
        StringColumn s => s[row],
        Column<long> l => l[row],
        Column<bool> b => b[row],
        Column<float> f => f[row],
        Column<int> i => (object?)i[row],
        _ => throw new InvalidOperationException(c.Name),
    });

    static string Text(string folder, string file) => File.ReadAllText(Path.Combine(folder, file), Encoding.UTF8);

    // ------------------------------------------------------------------ round trip

    [Fact]
    public void A_loaded_package_predicts_the_same_bits_as_the_model_and_transform()
    {
        var trained = Train();
        var hash = ModelPackage.Write(Folder(), trained.Model, trained.Transform, Info(trained));
        var package = ModelPackage.Load(Folder());

        var (fresh, _, _) = Rows(300, 2);
        Assert.Equal(Bits(Direct(trained, fresh)), Bits(package.Predictor.Predict(fresh)));
        Assert.Equal(hash, package.Hash);
        Assert.Equal(64, hash.Length);
        Assert.Equal(ModelKinds.GradientBoostedTrees, package.ModelKind);
        Assert.Equal(0.875, package.Metrics["auc"]);
        Assert.Equal(0.25, package.Metrics["logloss"]);
        Assert.Equal("4f2a9c1", package.Lineage.Commit);
        Assert.Equal("sha256:feed", package.Lineage.DataDigest);
        Assert.Equal(["max_depth", "rounds"], package.Lineage.Parameters.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("8", package.Lineage.Parameters["rounds"]);
        var profile = DataProfile.Of(trained.Table);
        Assert.NotNull(package.Profile);
        Assert.Equal(profile.Rows, package.Profile.Rows);
        Assert.Equal(JsonSerializer.Serialize(profile), JsonSerializer.Serialize(package.Profile));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_package_holds_a_linear_model_and_predicts_its_bits(bool multiclass)
    {
        var (table, labels, classes) = Rows(400, 1);
        var transform = Features().Fit(table, threads: 1);
        var model = new LogisticRegression(new LogisticRegressionOptions(Classes: multiclass ? 3 : 2, Threads: 1))
            .Fit(new TrainingData(transform.Transform(table, threads: 1), multiclass ? classes : labels));
        var info = new PackageInfo(ModelKinds.Linear, new PackageLineage("4f2a9c1", "sha256:feed", new Dictionary<string, string> { ["C"] = "1" }))
        {
            InputExample = Example,
            ModelUuid = Uuid,
            CreatedUtc = Created,
        };
        ModelPackage.Write(Folder(), model, transform, info);
        var package = ModelPackage.Load(Folder());

        Assert.Equal(ModelKinds.Linear, package.ModelKind);
        var (fresh, _, _) = Rows(300, 2);
        var features = transform.Transform(fresh);
        var direct = new double[features.Rows * model.OutputsPerRow];
        model.Predict(features, direct);
        Assert.Equal(Bits(direct), Bits(package.Predictor.Predict(fresh)));
    }

    [Fact]
    public void Batch_and_single_row_predictions_are_identical()
    {
        var trained = Train();
        ModelPackage.Write(Folder(), trained.Model, trained.Transform, Info(trained));
        var predictor = ModelPackage.Load(Folder()).Predictor;
        var (fresh, _, _) = Rows(120, 3);
        var batch = predictor.Predict(fresh);
        Assert.Equal(fresh.RowCount, batch.Length);
        for (var row = 0; row < fresh.RowCount; row++)
            Assert.Equal(BitConverter.DoubleToInt64Bits(batch[row]), BitConverter.DoubleToInt64Bits(Assert.Single(predictor.PredictRow(RowOf(fresh, row)))));
        Assert.All(batch, p => Assert.InRange(p, 0, 1)); // binary: the positive class's probability
    }

    [Fact]
    public void A_multiclass_package_predicts_rows_times_classes()
    {
        var trained = Train(rounds: 4, multiclass: true);
        ModelPackage.Write(Folder(), trained.Model, trained.Transform, Info(trained));
        var package = ModelPackage.Load(Folder());
        var (fresh, _, _) = Rows(50, 4);
        var batch = package.Predictor.Predict(fresh);
        Assert.Equal(3, package.Predictor.OutputsPerRow);
        Assert.Equal(Bits(Direct(trained, fresh)), Bits(batch));
        Assert.Equal(Bits(batch[6..9]), Bits(package.Predictor.PredictRow(RowOf(fresh, 2))));
        Assert.Equal([-1, 3], package.Signature.OutputShape);
        Assert.Equal("""[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]""", package.Signature.OutputsJson);
    }

    // ------------------------------------------------------------------ verification

    [Theory]
    [InlineData("edit", "model.bin")]
    [InlineData("edit", "transform.json")]
    [InlineData("edit", "MLmodel")]
    [InlineData("edit", "metrics.json")]
    [InlineData("edit", "package.json")]
    [InlineData("delete", "lineage.json")]
    [InlineData("delete", "profile.json")]
    [InlineData("delete", "package.json")]
    [InlineData("add", "notes.txt")]
    public void A_tampered_package_is_refused_naming_the_file(string change, string file)
    {
        var trained = Train();
        ModelPackage.Write(Folder(), trained.Model, trained.Transform, Info(trained));
        var path = Path.Combine(Folder(), file);
        switch (change)
        {
            case "edit":
                var bytes = File.ReadAllBytes(path);
                bytes[bytes.Length / 2] ^= 0x01;
                File.WriteAllBytes(path, bytes);
                break;
            case "delete":
                File.Delete(path);
                break;
            default:
                File.WriteAllText(path, "hello");
                break;
        }
        var error = Assert.Throws<InvalidDataException>(() => ModelPackage.Load(Folder()));
        Assert.Contains($": {file} ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_added_in_a_subfolder_is_refused()
    {
        var trained = Train();
        ModelPackage.Write(Folder(), trained.Model, trained.Transform, Info(trained));
        Directory.CreateDirectory(Path.Combine(Folder(), "extra"));
        File.WriteAllText(Path.Combine(Folder(), "extra", "x.json"), "{}");
        var error = Assert.Throws<InvalidDataException>(() => ModelPackage.Load(Folder()));
        Assert.Contains("extra/x.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_package_with_another_hash_than_expected_is_refused()
    {
        var trained = Train();
        var hash = ModelPackage.Write(Folder(), trained.Model, trained.Transform, Info(trained));
        Assert.Equal(hash, ModelPackage.Load(Folder(), expectedHash: hash).Hash);
        var error = Assert.Throws<InvalidDataException>(() => ModelPackage.Load(Folder(), expectedHash: new string('0', 64)));
        Assert.Contains(hash, error.Message, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ content

    [Fact]
    public void The_MLmodel_file_is_what_MLflow_writes()
    {
        var trained = Train();
        ModelPackage.Write(Folder(), trained.Model, trained.Transform, Info(trained));
        // PyYAML's folding of the long signature string included: continuation lines under the key, broken at a space past column 80.
        const string expected = """
            artifact_path: model
            flavors:
              mlops_pipelines:
                format_version: 1
                loader: MlOps.Pipelines.ML.Packaging.ModelPackage
                model_file: model.bin
                model_kind: gradient-boosted-trees
                transform_file: transform.json
            model_uuid: 0123456789abcdef0123456789abcdef
            saved_input_example_info:
              artifact_path: input_example.json
              pandas_orient: split
              serving_input_path: serving_input_example.json
              type: dataframe
            signature:
              inputs: '[{"type": "double", "name": "amount", "required": true}, {"type": "datetime",
                "name": "at", "required": true}, {"type": "string", "name": "city", "required":
                true}, {"type": "long", "name": "count", "required": true}, {"type": "boolean",
                "name": "flag", "required": true}, {"type": "float", "name": "ratio", "required":
                true}, {"type": "integer", "name": "small", "required": true}]'
              outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
              params: null
            utc_time_created: '2024-05-01 12:00:00.123456'

            """;
        Assert.Equal(expected, Text(Folder(), "MLmodel"));
    }

    [Fact]
    public void The_signature_lists_the_transform_inputs_with_MLflow_types()
    {
        var trained = Train();
        ModelPackage.Write(Folder(), trained.Model, trained.Transform, Info(trained));
        var signature = ModelPackage.Load(Folder()).Signature;
        using var json = JsonDocument.Parse(signature.InputsJson);
        var columns = json.RootElement.EnumerateArray()
            .Select(c => (Name: c.GetProperty("name").GetString(), Type: c.GetProperty("type").GetString(), Required: c.GetProperty("required").GetBoolean()))
            .ToList();
        Assert.Equal(trained.Transform.Inputs.Select(i => i.Name), columns.Select(c => c.Name));
        Assert.Equal(["double", "datetime", "string", "long", "boolean", "float", "integer"], columns.Select(c => c.Type));
        Assert.All(columns, c => Assert.True(c.Required));
        Assert.Equal(columns, signature.Inputs.Select(c => (Name: (string?)c.Name, Type: (string?)c.Type, c.Required)));
        Assert.Equal([-1], signature.OutputShape);
    }

    [Fact]
    public void The_input_example_is_written_in_pandas_split_orient()
    {
        var trained = Train();
        ModelPackage.Write(Folder(), trained.Model, trained.Transform, Info(trained));
        const string split = """{"columns": ["amount", "at", "city", "count", "flag", "ratio", "small"], "data": [[12.5, "2024-01-02T03:04:05", "b", 7, true, 0.5, 3], [null, "2024-02-03T00:00:00", null, 0, false, 1.25, -1]]}""";
        Assert.Equal(split, Text(Folder(), "input_example.json"));
        Assert.Equal("""{"dataframe_split": """ + split + "}", Text(Folder(), "serving_input_example.json"));
    }

    [Fact]
    public void An_input_example_the_package_cannot_serve_is_refused()
    {
        var trained = Train();
        var info = Info(trained) with { InputExample = [new Dictionary<string, object?> { ["amount"] = 1.0 }] };
        Assert.Throws<ArgumentException>(() => ModelPackage.Write(Folder(), trained.Model, trained.Transform, info));
        Assert.False(Directory.Exists(Folder()));
    }

    [Fact]
    public void Only_the_uuid_and_time_differ_between_packages_of_the_same_inputs()
    {
        var trained = Train();
        var first = ModelPackage.Write(Folder("a"), trained.Model, trained.Transform, Info(trained));
        var second = ModelPackage.Write(Folder("b"), trained.Model, trained.Transform, Info(trained));
        Assert.Equal(first, second);
        var names = Directory.GetFiles(Folder("a")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["MLmodel", "input_example.json", "lineage.json", "metrics.json", "model.bin", "package.json", "profile.json",
            "serving_input_example.json", "transform.json"], names);
        foreach (var name in names)
            Assert.Equal(File.ReadAllBytes(Path.Combine(Folder("a"), name!)), File.ReadAllBytes(Path.Combine(Folder("b"), name!)));

        var third = ModelPackage.Write(Folder("c"), trained.Model, trained.Transform, Info(trained) with { ModelUuid = null, CreatedUtc = null });
        Assert.NotEqual(first, third);
        var differing = names.Where(n => !File.ReadAllBytes(Path.Combine(Folder("a"), n!)).SequenceEqual(File.ReadAllBytes(Path.Combine(Folder("c"), n!))));
        Assert.Equal(["MLmodel", "package.json"], differing);
    }

    // ------------------------------------------------------------------ atomic replacement

    [Fact]
    public void Writing_over_a_package_replaces_it_whole()
    {
        var trained = Train();
        ModelPackage.Write(Folder(), trained.Model, trained.Transform, Info(trained));
        File.WriteAllText(Path.Combine(Folder(), "stale.txt"), "left over");
        var other = Train(rounds: 3);
        var info = Info(other) with { Profile = null, InputExample = [], Metrics = new Dictionary<string, double> { ["auc"] = 0.5 } };
        var hash = ModelPackage.Write(Folder(), other.Model, other.Transform, info);

        var package = ModelPackage.Load(Folder());
        Assert.Equal(hash, package.Hash);
        Assert.Null(package.Profile);
        Assert.Equal(["auc"], package.Metrics.Keys);
        Assert.Equal(["MLmodel", "lineage.json", "metrics.json", "model.bin", "package.json", "transform.json"],
            Directory.GetFiles(Folder()).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("saved_input_example_info", Text(Folder(), "MLmodel"), StringComparison.Ordinal);
        var (fresh, _, _) = Rows(40, 5);
        Assert.Equal(Bits(Direct(other, fresh)), Bits(package.Predictor.Predict(fresh)));
        Assert.Equal([Folder()], Directory.GetFileSystemEntries(_root)); // no temporary or set-aside folders left
    }

    /// <summary>Predicts as one model but saves another: the written package would serve different predictions.</summary>
    sealed class SavesAnother(IModel predicts, IModel saves) : IModel
    {
        public IReadOnlyList<string> FeatureNames => predicts.FeatureNames;
        public int OutputsPerRow => predicts.OutputsPerRow;
        public void Predict(FeatureMatrix features, Span<double> output) => predicts.Predict(features, output);
        public void Save(Stream stream) => saves.Save(stream);
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_package_as_it_was()
    {
        var trained = Train();
        var hash = ModelPackage.Write(Folder(), trained.Model, trained.Transform, Info(trained));
        var other = Train(rounds: 2);
        var error = Assert.Throws<InvalidOperationException>(() =>
            ModelPackage.Write(Folder(), new SavesAnother(trained.Model, other.Model), trained.Transform, Info(trained)));
        Assert.Contains("does not reproduce", error.Message, StringComparison.Ordinal);
        Assert.Equal(hash, ModelPackage.Load(Folder()).Hash);
        Assert.Equal([Folder()], Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public void A_model_that_reads_other_columns_than_the_transform_makes_is_refused()
    {
        var trained = Train();
        var features = FeatureMatrix.FromColumns(["x"], [[0f, 1f, 0f, 1f]]);
        var model = new GradientBoostedTrees(new GradientBoostedTreesOptions(Rounds: 1, Threads: 1)).Fit(new TrainingData(features, new float[] { 0, 1, 0, 1 }));
        Assert.Throws<ArgumentException>(() => ModelPackage.Write(Folder(), model, trained.Transform, Info(trained)));
        Assert.False(Directory.Exists(_root) && Directory.EnumerateFileSystemEntries(_root).Any());
    }
}
