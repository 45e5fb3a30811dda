namespace MlOps.Pipelines.Output;

/// <summary>
/// A running target's output: its <see cref="TargetContext"/> log and anything it writes to <see cref="Console.Out"/>
/// or <see cref="Console.Error"/> (routed here by <see cref="ConsoleRouter"/>), framed, filtered and masked by
/// <see cref="ConsoleOutput"/>.
/// </summary>
sealed class TargetLog(ConsoleOutput output) : LineWriter
{
    public void Write(LogLevel level, string message)
    {
        foreach (var line in message.Split('\n')) output.Log(level, line.TrimEnd('\r'));
    }

    protected override void WriteCompleteLine(string line) => output.Log(LogLevel.Info, line);
}
