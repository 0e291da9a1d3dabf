using System.Numerics.Tensors;
using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Models.Layers;

namespace Moxing.Models.Decoder;

// The mixture-of-experts part of the loader: router, experts (per-expert matrices or views of 3-D stacks), shared expert.
public sealed partial class DecoderLoader
{
    private void CheckExperts(MoeOptions moe)
    {
        if (moe.ExpertCount < 1)
            throw new InvalidModelFileException(sourcePath, $"the model has {moe.ExpertCount} experts; a mixture of experts needs at least one");
        if (moe.ExpertsUsed < 1 || moe.ExpertsUsed > moe.ExpertCount)
            throw new InvalidModelFileException(sourcePath, $"the model uses {moe.ExpertsUsed} experts per token but has {moe.ExpertCount}; it must use between 1 and {moe.ExpertCount}");
        if (moe.ExpertFeedForward < 1)
            throw new InvalidModelFileException(sourcePath, $"the experts' feed-forward width is {moe.ExpertFeedForward}; it must be positive");
    }

    private MoeWeights LoadMoe(int layer, MoeOptions moe)
    {
        int h = options.HiddenSize, ff = moe.ExpertFeedForward;
        var stored = new List<StoredTensor>();
        var views = new List<StoredTensor>();
        // Gated experts read a fused gate_up stack where the file has one (or the architecture names no other); ungated experts
        // (Nemotron-H's relu² MLPs) have no gate projections.
        var fused = options.GatedMlp && names.ExpertGateUp != null && (names.ExpertGate == null || Find(names.ExpertGateUp, layer) != null);
        var gateUps = fused ? Experts(names.ExpertGateUp, layer, moe.ExpertCount, 2 * ff, h, stored, views) : null;
        var gates = !fused && options.GatedMlp ? Experts(names.ExpertGate, layer, moe.ExpertCount, ff, h, stored, views) : null;
        var ups = fused ? null : Experts(names.ExpertUp, layer, moe.ExpertCount, ff, h, stored, views);
        var downs = Experts(names.ExpertDown, layer, moe.ExpertCount, h, ff, stored, views);
        var experts = new MlpWeights[moe.ExpertCount];
        for (var e = 0; e < experts.Length; e++) experts[e] = new MlpWeights { Gate = gates?[e], Up = ups?[e], GateUp = gateUps?[e], Down = downs[e] };
        MlpWeights? shared = null;
        Linear? sharedGate = null;
        if (moe.SharedFeedForward > 0)
        {
            var sff = moe.SharedFeedForward;
            shared = new MlpWeights
            {
                Gate = options.GatedMlp ? RequireLinear(names.SharedGate, layer, sff, h) : null,
                Up = RequireLinear(names.SharedUp, layer, sff, h),
                Down = RequireLinear(names.SharedDown, layer, h, sff),
            };
            sharedGate = SharedExpertGate(layer, stored, views);
        }
        return new MoeWeights
        {
            Router = RequireLinear(names.Router, layer, moe.ExpertCount, h),
            Experts = experts,
            Shared = shared,
            SharedGate = sharedGate,
            SelectionBias = SelectionBias(layer, moe),
            RouterNorm = moe.RouterScaledNorm ? RouterNorm(layer) : null,
            ExpertScales = moe.ExpertScales ? MoeVector(names.ExpertScale, layer, moe.ExpertCount) : null,
            ExpertNorm = moe.BranchNorms ? RequireNorm(names.ExpertNorm, layer, h) : null,
            ExpertPostNorm = moe.BranchNorms ? RequireNorm(names.ExpertPostNorm, layer, h) : null,
            SharedPostNorm = moe.BranchNorms && shared != null ? RequireNorm(names.SharedPostNorm, layer, h) : null,
            Stored = stored,
            Views = views,
        };
    }

    // Gemma4TextRouter's input: the stream RMS-normed without weights, times router.scale and 1/√hidden (one weight vector).
    private Norm RouterNorm(int layer)
    {
        var h = options.HiddenSize;
        var scale = MoeVector(names.RouterScale, layer, h);
        TensorPrimitives.Multiply(scale, 1f / MathF.Sqrt(h), scale);
        return new Norm(NormKind.Rms, scale, null, options.NormEps);
    }

    // A vector of a sparse layer (router scale, expert scales), of the size the options give.
    private float[] MoeVector(string? pattern, int layer, int size)
    {
        if (pattern == null) throw new InvalidModelFileException(sourcePath, "the architecture has no tensor for a mixture-of-experts scale");
        return Vector(Require(pattern, 0, size, layer), size);
    }

    // One [rows, cols] matrix per expert: the checkpoint's own (a name with "{e}") or a view of expert e of a [experts, rows, cols] stack.
    private Linear[] Experts(string? pattern, int layer, int count, int rows, int cols, List<StoredTensor> stored, List<StoredTensor> views)
    {
        if (pattern == null) throw new InvalidModelFileException(sourcePath, "the architecture has no tensor for a mixture-of-experts projection");
        var result = new Linear[count];
        if (DecoderTensorNames.PerExpert(pattern))
        {
            for (var e = 0; e < count; e++)
            {
                var name = DecoderTensorNames.ForExpert(pattern, layer, e);
                var t = _tensors.Find(name) ?? throw new InvalidModelFileException(sourcePath, $"tensor '{name}' is missing");
                result[e] = Linear(t, rows, cols);
            }
            return result;
        }
        var stackName = DecoderTensorNames.ForLayer(pattern, layer);
        var stack = _tensors.Find(stackName) ?? throw new InvalidModelFileException(sourcePath, $"tensor '{stackName}' is missing");
        if (stack.Shape.Length != 3 || stack.Shape[0] != count || stack.Shape[1] != rows || stack.Shape[2] != cols)
            throw new InvalidModelFileException(sourcePath, $"tensor '{stackName}' has shape [{string.Join(", ", stack.Shape)}], expected [{count}, {rows}, {cols}] from the model's configuration");
        stored.Add(stack);
        var biases = ExpertBiases(stackName, count, rows);
        var bytes = stack.Type.ByteCount((long)rows * cols);
        for (var e = 0; e < count; e++)
        {
            StoredTensor view;
            unsafe
            {
                view = new StoredTensor($"{stackName}[{e}]", stack.Type, [rows, cols], stack.Data + e * bytes, bytes);
            }
            views.Add(view);
            result[e] = Linear(view, rows, cols, bias: biases?[(e * rows)..((e + 1) * rows)]);
        }
        return result;
    }

    // A stack's biases, [experts, rows] (gpt-oss's ffn_*_exps.bias), or null when the file has none.
    private float[]? ExpertBiases(string stackName, int count, int rows)
    {
        if (_tensors.Find(DecoderTensorNames.BiasOf(stackName)) is not { } t) return null;
        CheckShape(t, count, rows);
        return Vector(t, count * rows);
    }

    // The expert-selection bias, [experts] or transformers' [1, experts] (Ernie4_5_MoeStatics); null where the architecture names
    // none, the configuration says there is none, or the file lacks it where that is allowed (llama.cpp's exp_probs_b is optional).
    private float[]? SelectionBias(int layer, MoeOptions moe)
    {
        if (names.ExpertSelectionBias == null || moe.SelectionBias == MoeSelectionBias.Absent) return null;
        var name = DecoderTensorNames.ForLayer(names.ExpertSelectionBias, layer);
        if (_tensors.Find(name) is not { } t)
            return moe.SelectionBias == MoeSelectionBias.Required ? throw new InvalidModelFileException(sourcePath, $"tensor '{name}' is missing") : null;
        var experts = moe.ExpertCount;
        if (t.Shape.Aggregate(1L, (a, d) => a * d) != experts || t.Shape.Length > 2)
            throw new InvalidModelFileException(sourcePath, $"tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}], expected [{experts}] or [1, {experts}]");
        return Vector(t, experts);
    }

    // transformers' Linear(hidden, 1) is [1, hidden]; llama.cpp's converter writes it as a vector [hidden]. Null where the
    // architecture names no gate (Granite MoE, ERNIE 4.5): its shared expert's output is added as it is.
    private Linear? SharedExpertGate(int layer, List<StoredTensor> stored, List<StoredTensor> views)
    {
        if (names.SharedExpertGate == null) return null;
        var name = DecoderTensorNames.ForLayer(names.SharedExpertGate, layer);
        var t = _tensors.Find(name) ?? throw new InvalidModelFileException(sourcePath, $"tensor '{name}' is missing");
        var h = options.HiddenSize;
        if (t.Shape.Length == 2) return Linear(t, 1, h);
        if (t.Shape.Length != 1 || t.Shape[0] != h)
            throw new InvalidModelFileException(sourcePath, $"tensor '{name}' has shape [{string.Join(", ", t.Shape)}], expected [{h}] or [1, {h}]");
        StoredTensor view;
        unsafe
        {
            view = new StoredTensor(name, t.Type, [1, h], t.Data, t.ByteLength);
        }
        stored.Add(t);
        views.Add(view);
        return Linear(view, 1, h);
    }
}
