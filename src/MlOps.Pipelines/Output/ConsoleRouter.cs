using System.Text;

namespace MlOps.Pipelines.Output;

/// <summary>
/// Replaces <see cref="Console.Out"/> and <see cref="Console.Error"/> once per process so that what a target prints
/// reaches that target's <see cref="TargetLog"/> (framed, filtered, secrets masked), and what other code prints
/// during a build passes through a <see cref="MaskingWriter"/>. The current destination flows with the async
/// context, so concurrent targets never mix.
/// </summary>
sealed class ConsoleRouter : TextWriter
{
    static readonly AsyncLocal<TextWriter?> CurrentOut = new();
    static readonly AsyncLocal<TextWriter?> CurrentError = new();
    static readonly Lock InstallLock = new();
    static ConsoleRouter? _out;
    static ConsoleRouter? _error;

    readonly TextWriter _original;
    readonly AsyncLocal<TextWriter?> _current;

    ConsoleRouter(TextWriter original, AsyncLocal<TextWriter?> current)
    {
        _original = original;
        _current = current;
    }

    public override Encoding Encoding => _original.Encoding;

    /// <summary>Until the returned scope is disposed, console writes pass through to the process's streams with secrets masked.</summary>
    public static IDisposable Mask(SecretMasker masker)
    {
        Install();
        return Route(new MaskingWriter(_out!._original, masker), new MaskingWriter(_error!._original, masker));
    }

    /// <summary>Routes <see cref="Console.Out"/> writes to <paramref name="output"/> and <see cref="Console.Error"/> writes to
    /// <paramref name="error"/> (each holding its own partial line) until the returned scope is disposed.</summary>
    public static IDisposable Route(TextWriter output, TextWriter error)
    {
        Install();
        var (previousOut, previousError) = (CurrentOut.Value, CurrentError.Value);
        CurrentOut.Value = output;
        CurrentError.Value = error;
        return new Scope(() =>
        {
            output.Flush();
            error.Flush();
            CurrentOut.Value = previousOut;
            CurrentError.Value = previousError;
        });
    }

    static void Install()
    {
        lock (InstallLock)
        {
            if (_out is not null) return;
            _out = new ConsoleRouter(Console.Out, CurrentOut);
            _error = new ConsoleRouter(Console.Error, CurrentError);
            Console.SetOut(_out);
            Console.SetError(_error);
        }
    }

    TextWriter Target => _current.Value ?? _original;

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
