#pragma warning disable OPENAI001 // the SDK marks its Responses client as evaluation-only
using System.ClientModel;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Core.Tensors;
using Moxing.Models.Synthesis;
using Moxing.Models.Vision;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Tests;
using Moxing.Text.Tokenization.Gguf;
using OllamaSharp;
using OllamaSharp.Models.Chat;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Responses;

namespace Moxing.Server.Tests;

/// <summary>
/// A synth tiny-gemma3 with its synth mmproj served over HTTP: images through the OpenAI SDK (chat image parts, Responses input_image
/// parts) and OllamaSharp (message images) count as their image tokens in the usage, change the reply's log-probabilities, and never
/// share cached keys and values with a different image; /api/show reports vision; bad images and remote URLs are 400s naming the problem.
/// </summary>
public sealed class VisionServingTests : IAsyncLifetime
{
    private const string Model = "tiny-gemma3";
    private readonly string _folder = Directory.CreateTempSubdirectory("moxing-vision-serve-").FullName;
    private MoxingServer? _server;
    private readonly HttpClient _http = new();

    private static readonly byte[] ImageA = TestPng.Encode(40, 40, TestPng.Pixels(40, 40, seed: 1));
    private static readonly byte[] ImageB = TestJpeg.Encode(40, 40, TestPng.Pixels(40, 40, seed: 9), progressive: true);

    public async Task InitializeAsync()
    {
        _server = await SynthVisionServer.StartAsync(_folder, Model, VisionProjector.Gemma3);
        _http.BaseAddress = _server.Address;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_server != null) await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private ChatClient Chat() => new(Model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(_server!.Address, "v1") });

    private async Task<ChatCompletion> AskAsync(byte[]? image, string mediaType = "image/png")
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 4, Temperature = 0, IncludeLogProbabilities = true };
        var parts = new List<ChatMessageContentPart> { ChatMessageContentPart.CreateTextPart("what is in the picture") };
        if (image != null) parts.Add(ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(image), mediaType));
        return (await Chat().CompleteChatAsync([new UserChatMessage(parts)], options)).Value;
    }

    [Fact]
    public async Task OpenAi_image_parts_count_their_tokens_and_two_images_never_share_cached_keys()
    {
        var text = await AskAsync(null);
        var a = await AskAsync(ImageA);
        var b = await AskAsync(ImageB, "image/jpeg");
        var again = await AskAsync(ImageA);
        // 16 image tokens between <start_of_image> and <end_of_image>, and the "\n\n" either side.
        Assert.True(a.Usage.InputTokenCount >= text.Usage.InputTokenCount + 18, $"{a.Usage.InputTokenCount} vs {text.Usage.InputTokenCount} without the image");
        Assert.Equal(a.Usage.InputTokenCount, b.Usage.InputTokenCount);
        float First(ChatCompletion c) => c.ContentTokenLogProbabilities[0].LogProbability;
        Assert.NotEqual(First(a), First(b));
        Assert.Equal(First(a), First(again), 4);
        Assert.Equal(a.Content[0].Text, again.Content[0].Text);
    }

    [Fact]
    public async Task Responses_input_image_parts_are_read_as_chat_image_parts()
    {
        var client = new ResponsesClient(new ApiKeyCredential("unused"), new ResponsesClientOptions { Endpoint = new Uri(_server!.Address, "v1") });
        var parts = new List<ResponseContentPart>
        {
            ResponseContentPart.CreateInputTextPart("what is in the picture"),
            ResponseContentPart.CreateInputImagePart(BinaryData.FromBytes(ImageA, "image/png"), "image/png"),
        };
        ResponseResult response = await client.CreateResponseAsync(new CreateResponseOptions(Model, [ResponseItem.CreateUserMessageItem(parts)])
        {
            MaxOutputTokenCount = 4,
            Temperature = 0,
        });
        var chat = await AskAsync(ImageA);
        // the same prompt (image tokens included) and the same greedy reply as the chat endpoint's image_url part
        Assert.Equal(chat.Usage.InputTokenCount, response.Usage.InputTokenCount);
        Assert.Equal(chat.Content[0].Text, response.GetOutputText());
        var text = await AskAsync(null);
        Assert.True(response.Usage.InputTokenCount >= text.Usage.InputTokenCount + 18, $"{response.Usage.InputTokenCount} vs {text.Usage.InputTokenCount} without the image");
    }

    [Fact]
    public async Task Responses_images_by_file_id_are_a_400_naming_it()
    {
        var body = $$"""{"model":"{{Model}}","input":[{"role":"user","content":[{"type":"input_image","file_id":"file-1"}]}]}""";
        using var response = await _http.PostAsync("/v1/responses", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("input[0].content[0].file_id", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Ollama_message_images_are_read()
    {
        using var client = new OllamaApiClient(_server!.Address, Model);
        ChatDoneResponseStream? done = null;
        var reply = new StringBuilder();
        var request = new ChatRequest
        {
            Model = Model,
            Messages = [new Message { Role = ChatRole.User, Content = "describe it", Images = [Convert.ToBase64String(ImageA)] }],
            Options = new OllamaSharp.Models.RequestOptions { NumPredict = 4, Temperature = 0 },
        };
        await foreach (var chunk in client.ChatAsync(request))
        {
            reply.Append(chunk?.Message.Content);
            if (chunk is ChatDoneResponseStream d) done = d;
        }
        Assert.NotNull(done);
        Assert.True(done!.PromptEvalCount > 18, $"{done.PromptEvalCount} prompt tokens");
        Assert.True(reply.Length > 0);
    }

    [Fact]
    public async Task Show_reports_the_vision_capability()
    {
        using var response = await _http.PostAsync("/api/show", new StringContent($$"""{"model":"{{Model}}"}""", Encoding.UTF8, "application/json"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("vision", body["capabilities"]!.AsArray().Select(c => (string)c!));
    }

    [Theory]
    [InlineData("https://example.com/cat.png", "remote URL")]
    [InlineData("data:image/gif;base64,R0lGODlhAQABAAAAACw=", "GIF")]
    [InlineData("data:image/png;base64,not base64!", "not valid base64")]
    public async Task Bad_images_are_400s_naming_the_problem(string url, string problem)
    {
        var body = new JsonObject
        {
            ["model"] = Model,
            ["messages"] = new JsonArray(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = url } }),
            }),
        };
        using var response = await _http.PostAsync("/v1/chat/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains(problem, await response.Content.ReadAsStringAsync());
    }
}

/// <summary>A text-only model sent an image answers 400 naming that it has no vision tower.</summary>
[Collection(ServerCollection.Name)]
public sealed class TextModelImageTests(ServerFixture server)
{
    [Fact]
    public async Task An_image_for_a_text_model_is_a_400_naming_the_missing_vision_tower()
    {
        using var http = new HttpClient { BaseAddress = server.Address };
        var image = Convert.ToBase64String(TestPng.Encode(4, 4, TestPng.Pixels(4, 4)));
        var body = $$"""{"model":"{{ServerFixture.Llama}}","messages":[{"role":"user","content":"hi","images":["{{image}}"]}],"stream":false}""";
        using var response = await http.PostAsync("/api/chat", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("no vision tower", await response.Content.ReadAsStringAsync());
    }
}
