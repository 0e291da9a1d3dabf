using Moxing.Core.Formats.Gguf;
using Moxing.Tests;

namespace Moxing.Server.Tests.Tools;

// Copies of a GGUF fixture with another chat template, some of Qwen3's unused control tokens renamed to the template's
// markup (as the family's own tokenizer holds it) so that the markup is written and read as control tokens.
public static class TemplatedModel
{
    // Qwen3's <|object_ref_start|> … <|vision_pad|> (151646–151654) are control tokens no prompt uses.
    private const int FirstUnused = 151646;
    private const int Unused = 9;

    // Writes the copy of the fixture <paramref name="model"/> to <paramref name="path"/> with <paramref name="template"/>.
    public static void Write(string model, string path, string template, IReadOnlyList<string> controlTokens)
    {
        if (controlTokens.Count > Unused) throw new ArgumentException($"at most {Unused} control tokens can be renamed", nameof(controlTokens));
        using var file = GgufFile.Open(Fixtures.Path("gguf", model + ".gguf"));
        var writer = new GgufWriter();
        foreach (var (key, value) in file.Metadata)
            writer.Set(key, key switch
            {
                "tokenizer.chat_template" => template,
                "tokenizer.ggml.tokens" when controlTokens.Count > 0 => Renamed((string[])value, controlTokens),
                _ => value,
            });
        foreach (var t in file.Tensors) writer.AddTensor(t);
        writer.Write(path);
    }

    // The real chat template Templates/Data holds under <paramref name="name"/>.
    public static string RealTemplate(string name) => File.ReadAllText(Fixtures.Path("..", "Moxing.Text.Tests", "Templates", "Data", name + ".jinja"));

    private static string[] Renamed(string[] tokens, IReadOnlyList<string> controlTokens)
    {
        var copy = (string[])tokens.Clone();
        for (var i = 0; i < controlTokens.Count; i++) copy[FirstUnused + i] = controlTokens[i];
        return copy;
    }
}
