using System.ClientModel;
using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using Moxing.Models;
using Moxing.Server.Embeddings;
using OllamaSharp;
using OllamaSharp.Models;
using OpenAI;
using OpenAI.Embeddings;

namespace Moxing.Server.Tests.Embeddings;

/// /v1/embeddings and /api/embed on decoder models: pooled final hidden states, normalised, shortened by dimensions.
[Collection(ServerCollection.Name)]
public sealed class DecoderEmbeddingTests(ServerFixture server)
{
    // The reference: the decoder's final hidden states for the whole input at once, mean pooled and normalised.
    private static float[] MeanPooled(string model, string text)
    {
        using var loaded = ModelLoader.Load(ServerFixture.ModelPath(model));
        var decoder = loaded.RequireDecoder();
        var ids = loaded.RequireTokenizer().Encode(text, addSpecialTokens: true);
        int h = decoder.Options.HiddenSize;
        var states = new float[ids.Length * h];
        decoder.HiddenStates(ids, decoder.CreateCache(ids.Length).Sequence, decoder.CreateScratch(ids.Length), states);
        var pooled = new float[h];
        for (var t = 0; t < ids.Length; t++) TensorPrimitives.Add(pooled, states.AsSpan(t * h, h), pooled);
        TensorPrimitives.Divide(pooled, TensorPrimitives.Norm(pooled), pooled);
        return pooled;
    }

    [Fact]
    public void Hidden_states_are_what_the_lm_head_turns_into_the_logits()
    {
        using var loaded = ModelLoader.Load(ServerFixture.ModelPath(ServerFixture.Llama));
        var decoder = loaded.RequireDecoder();
        int[] ids = [1, 5, 9, 42, 7];
        int h = decoder.Options.HiddenSize, v = decoder.Options.VocabSize;
        var states = new float[ids.Length * h];
        decoder.HiddenStates(ids, decoder.CreateCache(8).Sequence, decoder.CreateScratch(ids.Length), states);
        var logits = new float[ids.Length * v];
        decoder.Forward(ids, decoder.CreateCache(8).Sequence, decoder.CreateScratch(ids.Length), logits, allLogits: true);
        var fromStates = new float[ids.Length * v];
        decoder.Weights.Output.Forward(states, ids.Length, fromStates);
        Assert.Equal(logits, fromStates);
    }

    [Fact]
    public async Task OpenAi_embeddings_of_a_decoder_are_its_mean_pooled_hidden_states()
    {
        var client = new EmbeddingClient(ServerFixture.Qwen, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });
        OpenAIEmbeddingCollection result = await client.GenerateEmbeddingsAsync(["hello world", "good morning"]);
        var first = result[0].ToFloats().ToArray();
        var expected = MeanPooled(ServerFixture.Qwen, "hello world");
        Assert.Equal(expected.Length, first.Length);
        for (var i = 0; i < first.Length; i++) Assert.Equal(expected[i], first[i], 5);
        Assert.NotEqual(first, result[1].ToFloats().ToArray());

        OpenAIEmbedding shortened = await client.GenerateEmbeddingAsync("hello world", new EmbeddingGenerationOptions { Dimensions = 4 });
        var s = shortened.ToFloats().ToArray();
        Assert.Equal(4, s.Length);
        var norm = MathF.Sqrt(first.Take(4).Sum(x => x * x));
        for (var i = 0; i < 4; i++) Assert.Equal(first[i] / norm, s[i], 4);
    }

    [Fact]
    public async Task A_long_input_is_embedded_in_chunks_with_the_same_result()
    {
        var text = string.Join(' ', Enumerable.Range(0, 70).Select(i => $"word{i}"));
        var (status, body, _) = await server.PostAsync("/v1/embeddings", new JsonObject { ["model"] = ServerFixture.Llama, ["input"] = text }.ToJsonString());
        Assert.True(status == 200, body?.ToJsonString());
        Assert.True((int)body!["usage"]!["prompt_tokens"]! > Embedder.DecoderChunk);
        var vector = body["data"]![0]!["embedding"]!.AsArray().Select(x => (float)x!).ToArray();
        var expected = MeanPooled(ServerFixture.Llama, text);
        for (var i = 0; i < vector.Length; i++) Assert.Equal(expected[i], vector[i], 4);
    }

    [Fact]
    public async Task Ollama_embed_works_on_a_decoder()
    {
        using var client = new OllamaApiClient(server.Address, ServerFixture.Qwen3);
        var embed = await client.EmbedAsync(new EmbedRequest { Model = ServerFixture.Qwen3, Input = ["hello", "world"] });
        Assert.Equal(2, embed.Embeddings.Count);
        Assert.Equal(1f, MathF.Sqrt(embed.Embeddings[0].Sum(x => x * x)), 3);
        Assert.NotEqual(embed.Embeddings[0], embed.Embeddings[1]);
    }

    [Fact]
    public void A_sentence_transformers_pooling_config_declares_last_token_pooling()
    {
        var folder = Directory.CreateTempSubdirectory("moxing-pooling-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(ServerFixture.ModelPath(ServerFixture.Qwen))) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            using (var plain = ModelLoader.Load(folder)) Assert.Equal(EmbeddingPooling.Mean, EmbeddingPoolings.For(plain));
            File.WriteAllText(Path.Combine(folder, "modules.json"), """[{"idx":1,"name":"1","path":"pool","type":"sentence_transformers.models.Pooling"}]""");
            Directory.CreateDirectory(Path.Combine(folder, "pool"));
            File.WriteAllText(Path.Combine(folder, "pool", "config.json"), """{"pooling_mode_mean_tokens":false,"pooling_mode_lasttoken":true}""");
            using var last = ModelLoader.Load(folder);
            Assert.Equal(EmbeddingPooling.LastToken, EmbeddingPoolings.For(last));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
