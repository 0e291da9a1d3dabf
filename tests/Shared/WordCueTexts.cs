namespace Moxing.Tests;

/// <summary>Labelled texts whose class is whether they mention a fruit; fillers make the position of the cue vary.</summary>
public static class WordCueTexts
{
    /// <summary>240 JSON Lines records {"text", "label": "fruit" | "other"}, the same every time.</summary>
    public static string[] JsonLines()
    {
        var rng = new Random(7);
        string[] fruits = ["apple", "pear", "plum", "fig"];
        string[] other = ["car", "road", "wheel", "train", "bus", "lane", "stop", "map"];
        var lines = new string[240];
        for (var i = 0; i < lines.Length; i++)
        {
            var fruit = i % 2 == 0;
            var words = Enumerable.Range(0, rng.Next(2, 6)).Select(_ => other[rng.Next(other.Length)]).ToList();
            if (fruit) words.Insert(rng.Next(words.Count + 1), fruits[rng.Next(fruits.Length)]);
            lines[i] = $"{{\"text\":\"{string.Join(' ', words)}\",\"label\":\"{(fruit ? "fruit" : "other")}\"}}";
        }
        return lines;
    }
}
