using System.ClientModel;
using Moxing.Models.Vision;
using Moxing.Server.Hosting;
using Moxing.Tests;
using OpenAI;
using OpenAI.Chat;

namespace Moxing.Server.Tests;

/// <summary>
/// A synth tiny-qwen25vl with its synth Qwen2.5-VL mmproj served over HTTP: an OpenAI chat image part (a data URL) becomes
/// &lt;|vision_start|&gt;, one token per merged patch of the image at its own aspect, &lt;|vision_end|&gt; — so images of two shapes count
/// different tokens — changes the reply's log-probabilities, and gives the same reply again from the prefix cache.
/// </summary>
public sealed class QwenVisionServingTests : IAsyncLifetime
{
    private const string Model = "tiny-qwen25vl";
    private readonly string _folder = Directory.CreateTempSubdirectory("moxing-qwen-vision-serve-").FullName;
    private MoxingServer? _server;

    // 84 × 112 pixels: a grid of 3 × 4 merged patches; 140 × 56: 5 × 2 (both above llama.cpp's least 8 patches, so not resized).
    private static readonly byte[] Tall = TestPng.Encode(84, 112, TestPng.Pixels(84, 112, seed: 3));
    private static readonly byte[] Wide = TestPng.Encode(140, 56, TestPng.Pixels(140, 56, seed: 4));

    public async Task InitializeAsync()
    {
        _server = await SynthVisionServer.StartAsync(_folder, Model, VisionProjector.Qwen25Vl);
    }

    public async Task DisposeAsync()
    {
        if (_server != null) await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<ChatCompletion> AskAsync(byte[]? image)
    {
        var chat = new ChatClient(Model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(_server!.Address, "v1") });
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 4, Temperature = 0, IncludeLogProbabilities = true };
        var parts = new List<ChatMessageContentPart> { ChatMessageContentPart.CreateTextPart("what is in the picture") };
        if (image != null) parts.Add(ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(image), "image/png"));
        return (await chat.CompleteChatAsync([new UserChatMessage(parts)], options)).Value;
    }

    [Fact]
    public async Task An_image_data_url_is_its_grid_of_merged_patches_between_the_vision_tokens()
    {
        var text = await AskAsync(null);
        var tall = await AskAsync(Tall);
        var wide = await AskAsync(Wide);
        var again = await AskAsync(Tall);
        Assert.Equal(text.Usage.InputTokenCount + 2 + 12, tall.Usage.InputTokenCount);
        Assert.Equal(text.Usage.InputTokenCount + 2 + 10, wide.Usage.InputTokenCount);
        float First(ChatCompletion c) => c.ContentTokenLogProbabilities[0].LogProbability;
        Assert.NotEqual(First(text), First(tall));
        Assert.Equal(First(tall), First(again), 4);
        Assert.Equal(tall.Content[0].Text, again.Content[0].Text);
    }
}
