using System.Text;

namespace MlOps.Pipelines.Output;

/// <summary>
/// Replaces <see cref="Console.Out"/> once per process so that what a target prints reaches that target's
/// <see cref="TargetLog"/> (framed, filtered, secrets masked). Outside a target, writes pass straight through.
/// The current target flows with the async context, so concurrent targets never mix.
/// </summary>
sealed class ConsoleRouter : TextWriter
{
    static readonly AsyncLocal<TextWriter?> Current = new();
    static readonly Lock InstallLock = new();
    static ConsoleRouter? _installed;

    readonly TextWriter _original;

    ConsoleRouter(TextWriter original) => _original = original;

    public override Encoding Encoding => _original.Encoding;

    /// <summary>Routes <see cref="Console.Out"/> writes to <paramref name="log"/> until the returned scope is disposed.</summary>
    public static IDisposable Route(TextWriter log)
    {
        lock (InstallLock)
        {
            if (_installed is null)
            {
                _installed = new ConsoleRouter(Console.Out);
                Console.SetOut(_installed);
            }
        }
        var previous = Current.Value;
        Current.Value = log;
        return new Scope(() =>
        {
            log.Flush();
            Current.Value = previous;
        });
    }

    TextWriter Target => Current.Value ?? _original;

    public override void Write(char value) => Target.Write(value);

    public override void Write(string? value) => Target.Write(value);

    public override void WriteLine(string? value) => Target.WriteLine(value);

    public override void WriteLine() => Target.WriteLine();

    public override void Flush() => Target.Flush();

    sealed class Scope(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
