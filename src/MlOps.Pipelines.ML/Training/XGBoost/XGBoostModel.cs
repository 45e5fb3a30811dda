using System.Runtime.InteropServices;
using System.Text;
using MlOps.Pipelines.ML.Features;

namespace MlOps.Pipelines.ML.Training;

/// <summary>
/// A model fitted by <see cref="XGBoostTrainer"/>: an XGBoost booster, predicting through XGBoost's C API.
/// <see cref="Save"/> writes a small header (magic, feature names, outputs per row) and XGBoost's own UBJSON model,
/// which <see cref="Load"/> reads back into a model that predicts bit-identical values.
/// </summary>
/// <remarks>Holds a native booster: dispose it, or leave it to the finalizer.</remarks>
public sealed class XGBoostModel : IModel, IDisposable
{
    const string Magic = "MLOPSXGB";
    const int FormatVersion = 1;

    readonly XGBoostBoosterHandle _booster;
    readonly byte[] _buffer;
    readonly Lock _lock = new();

    XGBoostModel(XGBoostBoosterHandle booster, IReadOnlyList<string> featureNames, int outputsPerRow, byte[] buffer)
    {
        _booster = booster;
        FeatureNames = featureNames;
        OutputsPerRow = outputsPerRow;
        _buffer = buffer;
    }

    public IReadOnlyList<string> FeatureNames { get; }

    public int OutputsPerRow { get; }

    /// <summary>XGBoost's model (UBJSON, as XGBoosterSaveModelToBuffer writes it).</summary>
    public ReadOnlySpan<byte> XGBoostModelBuffer => _buffer;

    /// <summary>A model from XGBoost's own model buffer (JSON or UBJSON).</summary>
    internal static unsafe XGBoostModel FromBuffer(byte[] buffer, IReadOnlyList<string> featureNames, int outputsPerRow)
    {
        XGBoost.EnsureAvailable();
        var booster = XGBoostNative.CreateBooster();
        try
        {
            fixed (byte* data = buffer)
                XGBoostNative.Check(XGBoostNative.BoosterLoadModelFromBuffer(booster, data, (ulong)buffer.Length), "XGBoosterLoadModelFromBuffer");
            return new XGBoostModel(booster, featureNames, outputsPerRow, buffer);
        }
        catch
        {
            booster.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Predict(FeatureMatrix features, Span<double> output)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (!features.Names.SequenceEqual(FeatureNames, StringComparer.Ordinal))
            throw new ArgumentException("The feature matrix does not have the model's columns (by name and in order).", nameof(features));
        var expected = checked(features.Rows * OutputsPerRow);
        if (output.Length != expected) throw new ArgumentException($"{output.Length} outputs for {expected} predictions.", nameof(output));
        if (features.Rows == 0) return;
        using var matrix = XGBoostNative.CreateMatrix(features, default);
        lock (_lock)
        {
            // The result lives in the booster until its next call, hence the lock around the copy.
            XGBoostNative.Check(XGBoostNative.BoosterPredict(_booster, matrix, 0, 0, 0, out var length, out var result), "XGBoosterPredict");
            if (length != (ulong)expected) throw new XGBoostException($"XGBoost predicted {length} values, {expected} were expected.");
            unsafe
            {
                var values = new ReadOnlySpan<float>((void*)result, expected);
                for (var i = 0; i < values.Length; i++) output[i] = values[i];
            }
        }
    }

    /// <inheritdoc/>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Encoding.ASCII.GetBytes(Magic));
        writer.Write(FormatVersion);
        writer.Write(OutputsPerRow);
        writer.Write(FeatureNames.Count);
        foreach (var name in FeatureNames) writer.Write(name);
        writer.Write(_buffer.Length);
        writer.Write(_buffer);
    }

    /// <summary>Reads a model written by <see cref="Save"/>; throws <see cref="InvalidDataException"/> on anything else.</summary>
    /// <param name="stream">Where to read; left open.</param>
    public static XGBoostModel Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (Encoding.ASCII.GetString(reader.ReadBytes(Magic.Length)) != Magic) throw new InvalidDataException("Not an XGBoost model.");
            var version = reader.ReadInt32();
            if (version != FormatVersion) throw new InvalidDataException($"Unknown XGBoost model format version {version}.");
            var outputs = reader.ReadInt32();
            if (outputs < 1) throw new InvalidDataException($"Invalid outputs per row: {outputs}.");
            var count = reader.ReadInt32();
            if (count < 1) throw new InvalidDataException($"Invalid feature count: {count}.");
            var names = new string[count];
            for (var i = 0; i < count; i++) names[i] = reader.ReadString();
            var length = reader.ReadInt32();
            if (length < 1) throw new InvalidDataException($"Invalid model length: {length}.");
            var buffer = reader.ReadBytes(length);
            if (buffer.Length != length) throw new InvalidDataException("The XGBoost model is truncated.");
            return FromBuffer(buffer, names, outputs);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The XGBoost model is truncated.", e);
        }
    }

    public void Dispose() => _booster.Dispose();

    /// <summary>XGBoost's model of <paramref name="booster"/>, as UBJSON.</summary>
    internal static byte[] SaveBuffer(XGBoostBoosterHandle booster)
    {
        XGBoostNative.Check(XGBoostNative.BoosterSaveModelToBuffer(booster, """{"format": "ubj"}""", out var length, out var data), "XGBoosterSaveModelToBuffer");
        var buffer = new byte[checked((int)length)];
        Marshal.Copy(data, buffer, 0, buffer.Length);
        return buffer;
    }
}
