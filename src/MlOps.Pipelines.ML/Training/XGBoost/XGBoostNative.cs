using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MlOps.Pipelines.ML.Training;

/// <summary>An XGBoost C API call failed; the message is XGBGetLastError's.</summary>
public sealed class XGBoostException : Exception
{
    public XGBoostException() { }
    public XGBoostException(string message) : base(message) { }
    public XGBoostException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A DMatrixHandle of XGBoost, freed with XGDMatrixFree.</summary>
sealed class XGBoostDMatrixHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle() => XGBoostNative.DMatrixFree(handle) == 0;
}

/// <summary>A BoosterHandle of XGBoost, freed with XGBoosterFree.</summary>
sealed class XGBoostBoosterHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle() => XGBoostNative.BoosterFree(handle) == 0;
}

/// <summary>
/// The part of XGBoost's C API (c_api.h, 1.7) in use; bst_ulong is uint64_t. Every call returns 0 or −1, and after
/// −1 XGBGetLastError (thread-local) says why: <see cref="Check"/> turns that into an <see cref="XGBoostException"/>.
/// The library is found by <see cref="XGBoost"/>, which must have been asked first (see <see cref="XGBoost.EnsureAvailable"/>).
/// </summary>
static partial class XGBoostNative
{
    public const string Library = "xgboost";

    [LibraryImport(Library, EntryPoint = "XGBGetLastError")]
    private static partial IntPtr GetLastError();

    [LibraryImport(Library, EntryPoint = "XGBoostVersion")]
    public static partial void Version(out int major, out int minor, out int patch);

    [LibraryImport(Library, EntryPoint = "XGDMatrixCreateFromMat")]
    public static unsafe partial int DMatrixCreateFromMat(float* data, ulong rows, ulong columns, float missing, out XGBoostDMatrixHandle handle);

    [LibraryImport(Library, EntryPoint = "XGDMatrixSetFloatInfo", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int DMatrixSetFloatInfo(XGBoostDMatrixHandle handle, string field, float* values, ulong length);

    [LibraryImport(Library, EntryPoint = "XGDMatrixFree")]
    public static partial int DMatrixFree(IntPtr handle);

    [LibraryImport(Library, EntryPoint = "XGBoosterCreate")]
    public static unsafe partial int BoosterCreate(IntPtr* matrices, ulong count, out XGBoostBoosterHandle handle);

    [LibraryImport(Library, EntryPoint = "XGBoosterFree")]
    public static partial int BoosterFree(IntPtr handle);

    [LibraryImport(Library, EntryPoint = "XGBoosterSetParam", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BoosterSetParam(XGBoostBoosterHandle handle, string name, string value);

    [LibraryImport(Library, EntryPoint = "XGBoosterUpdateOneIter")]
    public static partial int BoosterUpdateOneIter(XGBoostBoosterHandle handle, int iteration, XGBoostDMatrixHandle train);

    [LibraryImport(Library, EntryPoint = "XGBoosterEvalOneIter")]
    public static unsafe partial int BoosterEvalOneIter(XGBoostBoosterHandle handle, int iteration, IntPtr* matrices, IntPtr* names, ulong count, out IntPtr result);

    [LibraryImport(Library, EntryPoint = "XGBoosterPredict")]
    public static partial int BoosterPredict(XGBoostBoosterHandle handle, XGBoostDMatrixHandle matrix, int optionMask, uint treeLimit, int training, out ulong length, out IntPtr result);

    [LibraryImport(Library, EntryPoint = "XGBoosterSlice")]
    public static partial int BoosterSlice(XGBoostBoosterHandle handle, int beginLayer, int endLayer, int step, out XGBoostBoosterHandle sliced);

    [LibraryImport(Library, EntryPoint = "XGBoosterBoostedRounds")]
    public static partial int BoosterBoostedRounds(XGBoostBoosterHandle handle, out int rounds);

    [LibraryImport(Library, EntryPoint = "XGBoosterSaveModelToBuffer", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BoosterSaveModelToBuffer(XGBoostBoosterHandle handle, string config, out ulong length, out IntPtr buffer);

    [LibraryImport(Library, EntryPoint = "XGBoosterLoadModelFromBuffer")]
    public static unsafe partial int BoosterLoadModelFromBuffer(XGBoostBoosterHandle handle, byte* buffer, ulong length);

    /// <summary>Throws XGBoost's last error unless <paramref name="result"/> is 0.</summary>
    public static void Check(int result, string call)
    {
        if (result == 0) return;
        var message = Marshal.PtrToStringUTF8(GetLastError());
        throw new XGBoostException($"{call} failed: {(string.IsNullOrWhiteSpace(message) ? "(no message from XGBoost)" : message.Trim())}");
    }

    /// <summary>A DMatrix of the rows of <paramref name="features"/> (NaN = missing), with <paramref name="labels"/> when given.</summary>
    public static unsafe XGBoostDMatrixHandle CreateMatrix(Features.FeatureMatrix features, ReadOnlySpan<float> labels)
    {
        var rowMajor = features.ToRowMajor();
        XGBoostDMatrixHandle matrix;
        fixed (float* data = rowMajor)
            Check(DMatrixCreateFromMat(data, (ulong)features.Rows, (ulong)features.Columns, float.NaN, out matrix), "XGDMatrixCreateFromMat");
        try
        {
            if (!labels.IsEmpty)
                fixed (float* label = labels)
                    Check(DMatrixSetFloatInfo(matrix, "label", label, (ulong)labels.Length), "XGDMatrixSetFloatInfo(label)");
            return matrix;
        }
        catch
        {
            matrix.Dispose();
            throw;
        }
    }

    /// <summary>A booster that caches <paramref name="matrices"/> (none for a booster about to load a model).</summary>
    public static unsafe XGBoostBoosterHandle CreateBooster(params ReadOnlySpan<XGBoostDMatrixHandle> matrices)
    {
        var added = 0;
        var pointers = stackalloc IntPtr[Math.Max(1, matrices.Length)];
        try
        {
            for (; added < matrices.Length; added++)
            {
                var success = false;
                matrices[added].DangerousAddRef(ref success);
                pointers[added] = matrices[added].DangerousGetHandle();
            }
            Check(BoosterCreate(pointers, (ulong)matrices.Length, out var booster), "XGBoosterCreate");
            return booster;
        }
        finally
        {
            for (var i = 0; i < added; i++) matrices[i].DangerousRelease();
        }
    }

    /// <summary>XGBoosterEvalOneIter's line, e.g. "[3]\ttrain-logloss:0.41\tvalid-logloss:0.52".</summary>
    public static unsafe string Evaluate(XGBoostBoosterHandle booster, int iteration, ReadOnlySpan<XGBoostDMatrixHandle> matrices, IntPtr[] names)
    {
        var added = 0;
        var pointers = stackalloc IntPtr[matrices.Length];
        try
        {
            for (; added < matrices.Length; added++)
            {
                var success = false;
                matrices[added].DangerousAddRef(ref success);
                pointers[added] = matrices[added].DangerousGetHandle();
            }
            IntPtr result;
            fixed (IntPtr* namePointers = names)
                Check(BoosterEvalOneIter(booster, iteration, pointers, namePointers, (ulong)matrices.Length, out result), "XGBoosterEvalOneIter");
            return Marshal.PtrToStringUTF8(result) ?? "";
        }
        finally
        {
            for (var i = 0; i < added; i++) matrices[i].DangerousRelease();
        }
    }
}
