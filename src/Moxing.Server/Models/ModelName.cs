namespace Moxing.Server.Models;

/// <summary>Model names in Ollama's <c>name[:tag]</c> form, where no tag means <c>latest</c>.</summary>
public static class ModelName
{
    /// <summary>The tag clients assume when a name has none.</summary>
    public const string DefaultTag = "latest";

    /// <summary>True when the two names denote the same model (<c>x</c> and <c>x:latest</c> do).</summary>
    public static bool SameModel(string a, string b) =>
        string.Equals(WithTag(a), WithTag(b), StringComparison.OrdinalIgnoreCase);

    /// <summary>The name with its tag made explicit.</summary>
    public static string WithTag(string name)
    {
        var slash = name.LastIndexOf('/');
        return name.IndexOf(':', slash + 1) >= 0 ? name : name + ":" + DefaultTag;
    }
}
