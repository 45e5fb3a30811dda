namespace MlOps.Pipelines.Tests.Tracking.Rest;

/// <summary>
/// How often each kind of fault strikes a request, as fractions of all requests (their sum at most 1). Lost answers
/// and half the 503s come after the request was applied; resets and 429s before it.
/// </summary>
sealed record FaultMix(double LostResponses = 0, double Unavailable = 0, double Resets = 0, double TooManyRequests = 0)
{
    public override string ToString() => $"lost {LostResponses:P0}, 503 {Unavailable:P0}, resets {Resets:P0}, 429 {TooManyRequests:P0}";
}

sealed partial class FakeMlflowServer
{
    Random? _random;
    FaultMix _mix = new();
    readonly Dictionary<string, int> _randomFaults = new(StringComparer.Ordinal);

    /// <summary>
    /// Strikes every request not targeted by <see cref="Inject"/> with a fault drawn from <paramref name="mix"/>, from a
    /// generator seeded with <paramref name="seed"/>: the same requests in the same order get the same faults.
    /// </summary>
    public void InjectRandomFaults(FaultMix mix, int seed)
    {
        lock (_lock)
        {
            _mix = mix;
            _random = new Random(seed);
        }
    }

    /// <summary>How many random faults of each kind struck ("lost", "503 before", "503 after", "reset", "429").</summary>
    public IReadOnlyDictionary<string, int> RandomFaults
    {
        get { lock (_lock) return new Dictionary<string, int>(_randomFaults); }
    }

    /// <summary>Called under the lock.</summary>
    ServerFault? TakeRandomFault()
    {
        if (_random is null) return null;
        var draw = _random.NextDouble();
        var afterHandling = _random.NextDouble() < 0.5;
        (string Name, ServerFault Fault)? struck = null;
        if ((draw -= _mix.LostResponses) < 0) struck = ("lost", ServerFault.DropAfterHandling());
        else if ((draw -= _mix.Unavailable) < 0)
            struck = afterHandling ? ("503 after", ServerFault.ProxyHtmlAfterHandling(503)) : ("503 before", ServerFault.Unavailable());
        else if ((draw -= _mix.Resets) < 0) struck = ("reset", ServerFault.DropBeforeHandling());
        else if ((draw -= _mix.TooManyRequests) < 0) struck = ("429", ServerFault.TooManyRequests("2"));
        if (struck is not { } hit) return null;
        _randomFaults[hit.Name] = _randomFaults.GetValueOrDefault(hit.Name) + 1;
        return hit.Fault;
    }
}
