using System.Text;

namespace MlOps.Pipelines.Output;

/// <summary>
/// A running target's output: its <see cref="TargetContext"/> log and anything it writes to
/// <see cref="Console.Out"/> (routed here by <see cref="ConsoleRouter"/>). Partial writes are held until the line
/// ends, so a secret split across two writes is still masked.
/// </summary>
sealed class TargetLog(ConsoleOutput output) : TextWriter
{
    readonly StringBuilder _pending = new();
    readonly Lock _lock = new();

    public override Encoding Encoding => Encoding.UTF8;

    public void Write(LogLevel level, string message)
    {
        foreach (var line in message.Split('\n')) output.Log(level, line.TrimEnd('\r'));
    }

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

    public override void Flush()
    {
        lock (_lock)
            if (_pending.Length > 0) FlushLine();
    }

    void FlushLine()
    {
        output.Log(LogLevel.Info, _pending.ToString());
        _pending.Clear();
    }
}
