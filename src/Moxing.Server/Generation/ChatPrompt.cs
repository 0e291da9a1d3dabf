using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Server.Http;
using Moxing.Server.Models;
using Moxing.Text.Templates;

namespace Moxing.Server.Generation;

/// <summary>Turns a conversation into prompt token ids with the model's own chat template, as transformers' apply_chat_template does.</summary>
public static class ChatPrompt
{
    // the roles of OpenAI's chat messages (Ollama's are a subset)
    private static readonly string[] Roles = ["system", "developer", "user", "assistant", "tool", "function"];

    /// <summary>
    /// Renders <paramref name="messages"/> (role/content objects, already in the template's shape) and <paramref name="tools"/> with the
    /// generation prompt appended, and tokenizes the text without adding special tokens (the template writes them).
    /// <paramref name="reasoning"/>: how the reply's think blocks split off, null when the template writes none.
    /// </summary>
    public static int[] Encode(ResidentModel model, JsonArray messages, JsonArray? tools, IReadOnlyDictionary<string, object?>? variables,
        out ReasoningParsing? reasoning, PromptImages? images = null)
    {
        var templates = model.Model.ChatTemplates ?? throw new ApiException(400,
            $"the model '{model.Name}' has no chat template; send a plain prompt to the completions endpoint instead", param: "model",
            code: "no_chat_template");
        tools = tools is { Count: > 0 } ? tools : null;
        var text = templates.Render(ToolsOnSystem(templates, DeveloperAsSystem(templates, messages), tools), tools, addGenerationPrompt: true, variables);
        reasoning = ReasoningParsing.For(templates.Templates.Values, text);
        return images != null ? images.Encode(model, text, addSpecialTokens: false, "messages") : model.Model.RequireTokenizer().Encode(text, addSpecialTokens: false);
    }

    /// <summary>
    /// <paramref name="messages"/> with the model's default <paramref name="system"/> prompt put first when none of them is a system (or
    /// developer) message, as Ollama does with a model's SYSTEM.
    /// </summary>
    public static JsonArray WithDefaultSystem(JsonArray messages, string? system)
    {
        if (string.IsNullOrEmpty(system) || messages.Any(m => JsonValues.IsString(m?["role"]) && m!["role"]!.GetValue<string>() is "system" or "developer"))
            return messages;
        messages.Insert(0, new JsonObject { ["role"] = "system", ["content"] = system });
        return messages;
    }

    // OpenAI's developer messages are system instructions: a template that does not know the role (all but a few, such as
    // gpt-oss's) would otherwise drop them without a word.
    private static JsonArray DeveloperAsSystem(ChatTemplateSource templates, JsonArray messages)
    {
        if (templates.Templates.Values.Any(t => t.Contains("developer", StringComparison.Ordinal))) return messages;
        foreach (var message in messages)
            if (message is JsonObject m && JsonValues.IsString(m["role"]) && m["role"]!.GetValue<string>() == "developer") m["role"] = "system";
        return messages;
    }

    // Phi-4-mini's template lists the tools its system message carries (message['tools'], the functions as JSON text) and reads
    // no tools variable: the request's tools go there, on a system message of its own when the conversation has none.
    private static JsonArray ToolsOnSystem(ChatTemplateSource templates, JsonArray messages, JsonArray? tools)
    {
        if (tools is null || !templates.Templates.Values.Any(t => t.Contains("message['tools']", StringComparison.Ordinal))) return messages;
        var functions = new JsonArray([.. tools.Select(t => t?["function"]?.DeepClone())]);
        var system = messages.OfType<JsonObject>().FirstOrDefault(m => JsonValues.IsString(m["role"]) && m["role"]!.GetValue<string>() == "system");
        if (system is null) messages.Insert(0, system = new JsonObject { ["role"] = "system", ["content"] = "" });
        system["tools"] = functions.ToJsonString();
        return messages;
    }

    /// <summary>A plain prompt tokenized as the model's tokenizer does by default (BOS and the like added), its images' text first.</summary>
    public static int[] EncodeRaw(ResidentModel model, string prompt, string param, PromptImages? images = null)
    {
        var ids = images != null
            ? images.Encode(model, string.Concat(Enumerable.Repeat(Moxing.Models.Vision.ImagePrompt.Marker, images.Count)) + prompt, addSpecialTokens: true, param)
            : model.Model.RequireTokenizer().Encode(prompt, addSpecialTokens: true);
        return ids.Length > 0 ? ids : throw ApiException.BadParameter(param, $"'{param}' must not be empty");
    }

    /// <summary>
    /// Checks one message and puts it in the shape templates expect: a known role (OpenAI's legacy function results become
    /// tool messages), string content (null becomes ""), tool-call arguments as objects (clients send them as JSON text;
    /// templates iterate them as mappings), and an assistant's reasoning under both names templates read — OpenAI-style
    /// clients send <c>reasoning_content</c> (Qwen3's, DeepSeek's templates), Ollama's <c>thinking</c> (gpt-oss's template).
    /// </summary>
    public static JsonObject Normalize(JsonNode? message, string path)
    {
        if (message is not JsonObject m) throw ApiException.BadParameter(path, $"'{path}' must be an object with a role and content");
        if (m["role"] is not JsonValue role || role.GetValueKind() != JsonValueKind.String)
            throw ApiException.BadParameter(path + ".role", $"'{path}.role' must be a string");
        var name = role.GetValue<string>();
        if (!Roles.Contains(name))
            throw ApiException.BadParameter(path + ".role", $"'{path}.role' is '{name}'; expected one of {string.Join(", ", Roles)}");
        var copy = (JsonObject)m.DeepClone();
        if (name == "function") copy["role"] = "tool";
        if (copy["content"] is null) copy["content"] = "";
        AliasReasoning(copy, "reasoning_content", "thinking");
        AliasReasoning(copy, "thinking", "reasoning_content");
        if (copy["tool_calls"] is JsonArray calls)
            foreach (var call in calls)
                if (call?["function"] is JsonObject function && function["arguments"] is JsonValue args && args.GetValueKind() == JsonValueKind.String)
                    function["arguments"] = ParseArguments(args.GetValue<string>());
        return copy;
    }

    /// <summary>
    /// Content parts joined into one string: each must be an object whose type is one of <paramref name="types"/> with a string
    /// text (images, audio and files are 400s naming the part).
    /// </summary>
    public static string JoinText(JsonArray parts, string path, params string[] types) => JoinText(parts, path, null, types);

    /// <summary>
    /// As <see cref="JoinText(JsonArray, string, string[])"/>, reading image parts into <paramref name="images"/> when given: Chat Completions'
    /// image_url ({url} or the URL itself) and the Responses API's input_image (image_url a URL string; file_id is refused).
    /// </summary>
    public static string JoinText(JsonArray parts, string path, PromptImages? images, params string[] types)
    {
        var text = new System.Text.StringBuilder();
        for (var j = 0; j < parts.Count; j++)
        {
            var part = parts[j] as JsonObject ?? throw ApiException.BadParameter($"{path}[{j}]", $"'{path}[{j}]' must be a content part object");
            var type = JsonValues.IsString(part["type"]) ? part["type"]!.GetValue<string>() : null;
            if (images != null && type is "image_url" or "input_image")
            {
                if (type == "input_image" && part["file_id"] is not null && part["image_url"] is null)
                    throw ApiException.Unsupported($"{path}[{j}].file_id", "images by file_id (no files are stored here; send image_url as a data: URL)");
                var url = part["image_url"] is JsonObject o ? o["url"] : part["image_url"];
                if (!JsonValues.IsString(url)) throw ApiException.BadParameter($"{path}[{j}].image_url", $"'{path}[{j}].image_url.url' must be a string");
                text.Append(images.AddUrl(url!.GetValue<string>(), $"{path}[{j}].image_url"));
                continue;
            }
            if (!types.Contains(type))
                throw ApiException.Unsupported($"{path}[{j}].type", $"content parts of type '{type}' (understood: {string.Join(", ", types)})");
            if (!JsonValues.IsString(part["text"])) throw ApiException.BadParameter($"{path}[{j}].text", $"'{path}[{j}].text' must be a string");
            text.Append(part["text"]!.GetValue<string>());
        }
        return text.ToString();
    }

    private static void AliasReasoning(JsonObject message, string from, string to)
    {
        if (JsonValues.IsString(message[from]) && message[to] is null) message[to] = message[from]!.GetValue<string>();
    }

    private static JsonNode? ParseArguments(string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: JsonRequest.ParseOptions) is JsonObject o ? o : JsonValue.Create(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }
}
