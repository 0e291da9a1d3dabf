using Moxing.Core;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Moxing.Training.Recipes;

/// <summary>Reads and writes recipes as YAML with snake_case keys (batch_size, learning_rate, …).</summary>
public static class RecipeFile
{
    private static readonly IDeserializer Reader = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance).Build();

    private static readonly ISerializer Writer = new SerializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance).Build();

    /// <summary>Reads a recipe file; unknown keys and bad values are errors naming the file, line and key.</summary>
    public static Recipe Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidModelFileException(path, "no such recipe file");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses recipe YAML; <paramref name="source"/> names it in errors.</summary>
    public static Recipe Parse(string yaml, string source)
    {
        try { return Reader.Deserialize<Recipe?>(yaml) ?? new Recipe(); }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message;
            throw new InvalidModelFileException(source, $"line {e.Start.Line}: {e.Message}{(inner != null ? " (" + inner + ")" : "")}", e);
        }
    }

    /// <summary>The recipe as YAML.</summary>
    public static string Serialize(Recipe recipe) => Writer.Serialize(recipe);

    /// <summary>Writes the recipe as YAML.</summary>
    public static void Save(Recipe recipe, string path) => File.WriteAllText(path, Serialize(recipe));
}
