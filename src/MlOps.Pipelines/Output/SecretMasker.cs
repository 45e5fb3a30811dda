namespace MlOps.Pipelines.Output;

/// <summary>Replaces every secret parameter value in a line of output with <c>***</c>.</summary>
sealed class SecretMasker
{
    // Longest first, so a secret that contains another is masked whole.
    readonly List<string> _secrets = [];

    public void Add(string? secret)
    {
        if (string.IsNullOrEmpty(secret) || _secrets.Contains(secret)) return;
        _secrets.Add(secret);
        _secrets.Sort((a, b) => b.Length.CompareTo(a.Length));
    }

    public string Mask(string text)
    {
        foreach (var secret in _secrets)
            if (text.Contains(secret, StringComparison.Ordinal))
                text = text.Replace(secret, "***", StringComparison.Ordinal);
        return text;
    }
}
