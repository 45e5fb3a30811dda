namespace MlOps.Pipelines.Output;

/// <summary>
/// Keeps the output of targets that run in parallel in plan order: the earliest unfinished target prints live,
/// later ones are held until every target before them has finished, then printed whole.
/// </summary>
sealed class OrderedOutput(TextWriter destination, int count)
{
    readonly List<string>[] _held = [.. Enumerable.Range(0, count).Select(_ => new List<string>())];
    readonly bool[] _done = new bool[count];
    readonly Lock _lock = new();
    int _live;

    /// <summary>The writer of the target at <paramref name="index"/> in the plan.</summary>
    public TextWriter Channel(int index) => new ChannelWriter(this, index);

    /// <summary>The target at <paramref name="index"/> will write no more.</summary>
    public void Complete(int index)
    {
        lock (_lock)
        {
            _done[index] = true;
            while (_live < count && _done[_live])
            {
                _live++;
                if (_live < count) Release(_live);
            }
        }
    }

    void Write(int index, string line)
    {
        lock (_lock)
        {
            if (index == _live) destination.WriteLine(line);
            else _held[index].Add(line);
        }
    }

    void Release(int index)
    {
        foreach (var line in _held[index]) destination.WriteLine(line);
        _held[index].Clear();
    }

    sealed class ChannelWriter(OrderedOutput owner, int index) : StringWriter
    {
        public override void WriteLine(string? value) => owner.Write(index, value ?? "");
    }
}
