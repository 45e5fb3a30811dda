using System.Text;

namespace MlOps.Pipelines.Output;

/// <summary>
/// A <see cref="TextWriter"/> that hands on only complete lines: partial writes are held until the line ends, so a
/// secret split across two writes is still seen whole by the masking downstream.
/// </summary>
abstract class LineWriter : TextWriter
{
    readonly StringBuilder _pending = new();
    readonly Lock _lock = new();

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>One complete line, without its line break.</summary>
    protected abstract void WriteCompleteLine(string line);

    public override void Write(char value)
    {
        lock (_lock)
        {
            if (value == '\n') FlushLine();
            else if (value != '\r') _pending.Append(value);
        }
    }

    public override void Write(string? value)
    {
        if (value is null) return;
        lock (_lock)
        {
            foreach (var c in value)
            {
                if (c == '\n') FlushLine();
                else if (c != '\r') _pending.Append(c);
            }
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_lock)
        {
            Write(value);
            FlushLine();
        }
    }

    public override void WriteLine() => WriteLine((string?)null);

    public override void Flush()
    {
        lock (_lock)
            if (_pending.Length > 0) FlushLine();
    }

    void FlushLine()
    {
        WriteCompleteLine(_pending.ToString());
        _pending.Clear();
    }
}

/// <summary>Console output outside any target (the pipeline's own code, libraries): passed on a line at a time, secrets masked.</summary>
sealed class MaskingWriter(TextWriter inner, SecretMasker masker) : LineWriter
{
    protected override void WriteCompleteLine(string line)
    {
        inner.WriteLine(masker.Apply(line));
        inner.Flush();
    }
}
