namespace MlOps.Pipelines.Output;

/// <summary>
/// Replaces every secret parameter value in text with <c>***</c>. One instance per invocation; every channel that
/// leaves the process (console streams, tracking journal, GitHub step summary, cache entries) masks through it.
/// </summary>
/// <remarks>
/// A secret shorter than <see cref="MinimumLength"/> characters would mask ordinary text ("ab" in every "about"),
/// so binding refuses one (<see cref="TooShort"/>). A secret of several lines is masked whole and line by line,
/// since line-based channels see it one line at a time.
/// </remarks>
sealed class SecretMasker
{
    /// <summary>Shortest secret that can be masked without hiding ordinary words.</summary>
    public const int MinimumLength = 4;

    /// <summary>What stands for a secret in free text.</summary>
    public const string Mask = "***";

    /// <summary>What stands for a secret in names with a restricted alphabet (MLflow keys, artefact paths).</summary>
    public const string NameMask = "masked";

    // Longest first, so a secret that contains another is masked whole.
    readonly List<string> _secrets = [];

    public bool IsEmpty => _secrets.Count == 0;

    /// <summary>Why <paramref name="secret"/> cannot be used, or null when it can (unset and empty are fine).</summary>
    public static string? TooShort(string? secret) =>
        string.IsNullOrEmpty(secret) || secret.Length >= MinimumLength
            ? null
            : $"a secret must be at least {MinimumLength} characters long, or masking it would hide ordinary text";

    public void Add(string? secret)
    {
        if (string.IsNullOrEmpty(secret)) return;
        foreach (var part in secret.ReplaceLineEndings("\n").Split('\n').Append(secret))
        {
            if (part.Length < MinimumLength || _secrets.Contains(part)) continue;
            _secrets.Add(part);
        }
        _secrets.Sort((a, b) => b.Length.CompareTo(a.Length));
    }

    /// <summary><paramref name="text"/> with every secret replaced by <paramref name="replacement"/>.</summary>
    public string Apply(string text, string replacement = Mask)
    {
        foreach (var secret in _secrets)
            if (text.Contains(secret, StringComparison.Ordinal))
                text = text.Replace(secret, replacement, StringComparison.Ordinal);
        return text;
    }

    /// <summary>Whether <paramref name="text"/> contains a secret.</summary>
    public bool Finds(string? text) => text is not null && _secrets.Any(s => text.Contains(s, StringComparison.Ordinal));
}
