using Moxing.Core.Tensors;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Sessions;

public sealed class LowMemoryTests
{
    [Theory]
    [InlineData(0, 32768, 2048)]
    [InlineData(0, 256, 256)]
    [InlineData(0, 0, 2048)]
    [InlineData(4096, 32768, 4096)]
    [InlineData(4096, 1024, 1024)]
    public void The_context_is_capped_unless_asked_for(int requested, int modelContext, int expected) =>
        Assert.Equal(expected, LowMemory.Context(requested, modelContext));

    [Fact]
    public void The_kv_cache_is_q8_0_where_heads_are_whole_blocks_and_a_session_uses_it()
    {
        using var wide = ModelLoader.Load(Fixtures.Path("gguf", "llama-k256.Q4_K_M.gguf"));
        using var narrow = ModelLoader.Load(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf"));
        Assert.Equal(DType.Q8_0, LowMemory.KvTypeFor(wide.RequireDecoder().Options));
        Assert.Equal(DType.F16, LowMemory.KvTypeFor(narrow.RequireDecoder().Options));

        var decoder = wide.RequireDecoder();
        var small = new InferenceSession(decoder, LowMemory.Context(0, wide.MaxContext), LowMemory.PrefillChunk, LowMemory.KvTypeFor(decoder.Options));
        var usual = new InferenceSession(decoder, Math.Min(wide.MaxContext, 4096));
        Assert.Equal(DType.Q8_0, small.KvType);
        Assert.True(small.KvBytes * 32 <= usual.KvBytes * 17, $"Q8_0 {small.KvBytes} bytes vs F16 {usual.KvBytes}");
        // 40 prompt tokens go through in chunks of 16 and leave every logit finite.
        int[] ids = [.. Enumerable.Range(1, 40)];
        Assert.All(small.Prefill(ids).ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(40, small.Position);
    }
}
