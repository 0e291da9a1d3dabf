using Moxing.Text.Templates;
using Moxing.Tests;

namespace Moxing.Text.Tests.Templates;

/// <summary>Real chat templates copied byte for byte into Templates/Data.</summary>
internal static class TemplateData
{
    public static string Directory { get; } = Path.GetFullPath(Fixtures.Path("..", "Moxing.Text.Tests", "Templates", "Data"));

    public static string Read(string name) => File.ReadAllText(Path.Combine(Directory, name));

    public static ChatTemplate Load(string name) => ChatTemplate.Parse(Read(name));
}
