using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Moxing.Core;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Moxing.Training.Recipes;

/// <summary>Reads and writes recipes as YAML with snake_case keys (batch_size, learning_rate, …).</summary>
public static class RecipeFile
{
    // YamlDotNet maps recipes by reflection; the NativeAOT edge binary (serve/run/bench) refuses recipes instead of misreading them.
    private static readonly Lazy<IDeserializer> Reader = new(BuildReader);

    private static readonly Lazy<ISerializer> Writer = new(BuildWriter);

    /// <summary>Whether recipes can be read and written: not in the NativeAOT build, which has no reflection-based YAML mapping.</summary>
    public static bool IsSupported => RuntimeFeature.IsDynamicCodeSupported;

    /// <summary>Reads a recipe file; unknown keys and bad values are errors naming the file, line and key.</summary>
    public static Recipe Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidModelFileException(path, "no such recipe file");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses recipe YAML; <paramref name="source"/> names it in errors.</summary>
    public static Recipe Parse(string yaml, string source)
    {
        try { return Reader.Value.Deserialize<Recipe?>(yaml) ?? new Recipe(); }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message;
            throw new InvalidModelFileException(source, $"line {e.Start.Line}: {e.Message}{(inner != null ? " (" + inner + ")" : "")}", e);
        }
    }

    /// <summary>The recipe as YAML.</summary>
    public static string Serialize(Recipe recipe) => Writer.Value.Serialize(recipe);

    /// <summary>Writes the recipe as YAML.</summary>
    public static void Save(Recipe recipe, string path) => File.WriteAllText(path, Serialize(recipe));

    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Guarded: throws in the NativeAOT build before YamlDotNet's reflection is used.")]
    private static IDeserializer BuildReader() =>
        IsSupported ? new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build() : throw NotInThisBuild();

    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Guarded: throws in the NativeAOT build before YamlDotNet's reflection is used.")]
    private static ISerializer BuildWriter() =>
        IsSupported ? new SerializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build() : throw NotInThisBuild();

    private static MoxingException NotInThisBuild() =>
        new("recipes (train, prune, distill) need the regular moxing build; the NativeAOT edge binary runs serve, run and bench");
}
