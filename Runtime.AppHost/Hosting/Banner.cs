namespace Runtime.AppHost.Hosting;

/// <summary>
/// What the console shows once the Api is healthy: its URL and the Owner token, in full only on the
/// start that created it (the Api writes it, 0600, when the database has no workspace yet).
/// </summary>
internal sealed class Banner(string apiUrl, string tokenFile)
{
    private readonly bool _tokenExisted = File.Exists(tokenFile);

    public void Print(TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"  Runtime is up: {apiUrl}  (OpenAPI: {apiUrl}/openapi/v1.json, health: {apiUrl}/health)");
        if (!_tokenExisted && File.Exists(tokenFile))
            output.WriteLine($"  Owner token (shown once, also saved to {tokenFile}): {File.ReadAllText(tokenFile).Trim()}");
        else if (File.Exists(tokenFile))
            output.WriteLine($"  Owner token: in {tokenFile}");
        else
            output.WriteLine("  Owner token: this database had a workspace before; use a token made then.");
        output.WriteLine("  The Aspire dashboard's login link is above. Press Ctrl+C to stop.");
        output.WriteLine();
        output.Flush();
    }
}
