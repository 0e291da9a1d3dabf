using System.Text;
using OpenAI.Chat;

namespace Moxing.Server.Tests.Tools;

/// A streamed chat completion as the OpenAI SDK's updates assemble it: the content, each call's name and arguments by index,
/// and the finish reason.
public sealed record StreamedChat(string Content, SortedDictionary<int, string> Names, Dictionary<int, string> Arguments, ChatFinishReason? Finish)
{
    /// Reads every update of <paramref name="updates"/>.
    public static async Task<StreamedChat> Collect(IAsyncEnumerable<StreamingChatCompletionUpdate> updates)
    {
        var content = new StringBuilder();
        var names = new SortedDictionary<int, string>();
        var arguments = new Dictionary<int, StringBuilder>();
        ChatFinishReason? finish = null;
        await foreach (var update in updates)
        {
            foreach (var part in update.ContentUpdate) content.Append(part.Text);
            foreach (var part in update.ToolCallUpdates)
            {
                if (part.FunctionName is { } name) names[part.Index] = name;
                if (!arguments.TryGetValue(part.Index, out var text)) arguments[part.Index] = text = new StringBuilder();
                text.Append(part.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
        }
        return new StreamedChat(content.ToString(), names, arguments.ToDictionary(p => p.Key, p => p.Value.ToString()), finish);
    }
}
