using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace MlOps.Pipelines.ML.Training;

/// <summary>
/// Whether XGBoost's native library (libxgboost, e.g. Debian's libxgboost0) can be loaded. It is looked up by the
/// runtime's usual probing and, failing that, under its usual names and paths; <see cref="XGBoostTrainer"/> and
/// <see cref="XGBoostModel"/> throw <see cref="DllNotFoundException"/> without it.
/// </summary>
public static class XGBoost
{
    /// <summary>What to do when the library is missing.</summary>
    public const string NotInstalledMessage = "XGBoost's native library (libxgboost) is not installed: apt-get install libxgboost0";

    static readonly string[] Candidates =
    [
        "libxgboost.so.0",
        "libxgboost.so",
        "/usr/lib/x86_64-linux-gnu/libxgboost.so.0",
        "/usr/lib/aarch64-linux-gnu/libxgboost.so.0",
        "/usr/lib/libxgboost.so",
        "/usr/local/lib/libxgboost.so",
        "libxgboost.dylib",
        "/opt/homebrew/lib/libxgboost.dylib",
        "/usr/local/lib/libxgboost.dylib",
        "xgboost.dll",
    ];

    static readonly Lazy<IntPtr> Handle = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    static IntPtr Load()
    {
        var assembly = typeof(XGBoost).Assembly;
        if (NativeLibrary.TryLoad(XGBoostNative.Library, assembly, null, out var handle)) return handle;
        foreach (var candidate in Candidates)
            if (NativeLibrary.TryLoad(candidate, out handle))
            {
                // The imports name "xgboost"; where default probing does not find it, hand them this handle.
                AssemblyLoadContext.Default.ResolvingUnmanagedDll += Resolve;
                return handle;
            }
        return IntPtr.Zero;
    }

    static IntPtr Resolve(Assembly assembly, string name) =>
        assembly == typeof(XGBoost).Assembly && name == XGBoostNative.Library ? Handle.Value : IntPtr.Zero;

    /// <summary>True when libxgboost could be loaded.</summary>
    public static bool IsAvailable => Handle.Value != IntPtr.Zero;

    /// <summary>The loaded library's version (XGBoostVersion).</summary>
    public static Version Version
    {
        get
        {
            EnsureAvailable();
            XGBoostNative.Version(out var major, out var minor, out var patch);
            return new Version(major, minor, patch);
        }
    }

    /// <summary>Throws <see cref="DllNotFoundException"/> with <see cref="NotInstalledMessage"/> unless the library loads.</summary>
    internal static void EnsureAvailable()
    {
        if (!IsAvailable) throw new DllNotFoundException(NotInstalledMessage);
    }
}
