using Moxing.Core.Autograd;
using Moxing.Nn.Attention;
using Moxing.Nn.Layers;
using Moxing.Nn.Losses;
using Moxing.Nn.Modules;
using Moxing.Nn.Recurrent;

namespace Moxing.Nn.Tests;

public sealed class OpsFixtureTests : IDisposable
{
    private readonly OpsFixture _f = new();

    public void Dispose() => _f.Dispose();

    private void Layer(string op, Layer layer)
    {
        _f.LoadParameters(op, layer);
        var x = _f.Input(op, "x");
        _f.Verify(op, layer.Forward(x), layer, ("x", x));
    }

    [Fact] public void Linear() => Layer("linear", new Linear(8, 6));
    [Fact] public void Conv2dStride1Pad1() => Layer("conv2d_s1p1", new Conv2d(3, 4, 3, stride: 1, padding: 1));
    [Fact] public void Conv2dStride2Kernel5() => Layer("conv2d_s2p0_k5", new Conv2d(3, 6, 5, stride: 2));
    [Fact] public void MaxPool() => Layer("maxpool2d_k2s2", new MaxPool2d(2, 2));
    [Fact] public void AvgPool() => Layer("avgpool2d_k2s2", new AvgPool2d(2, 2));
    [Fact] public void AdaptiveAvgPool() => Layer("adaptive_avgpool_1x1", new AdaptiveAvgPool2d(1));
    [Fact] public void BatchNorm2dTraining() => Layer("batchnorm2d_train", new BatchNorm2d(3));
    [Fact] public void LayerNorm() => Layer("layernorm", new LayerNorm(8));
    [Fact] public void RmsNorm() => Layer("rmsnorm", new RMSNorm(8));
    [Fact] public void Relu() => Layer("relu", new ReLU());
    [Fact] public void Gelu() => Layer("gelu", new GELU());
    [Fact] public void GeluTanh() => Layer("gelu_tanh", new GELU(tanhApproximation: true));
    [Fact] public void Silu() => Layer("silu", new SiLU());
    [Fact] public void Tanh() => Layer("tanh", new Tanh());
    [Fact] public void Sigmoid() => Layer("sigmoid", new Sigmoid());
    [Fact] public void Softmax() => Layer("softmax", new Softmax(-1));
    [Fact] public void LogSoftmax() => Layer("log_softmax", new LogSoftmax(-1));

    [Fact]
    public void CrossEntropy()
    {
        var logits = _f.Input("cross_entropy", "logits");
        var loss = new CrossEntropyLoss().Forward(logits, _f.Indices("cross_entropy.in.target"));
        _f.Verify("cross_entropy", loss, null, ("logits", logits));
    }

    [Fact]
    public void Mse()
    {
        var (pred, target) = (_f.Input("mse", "pred"), _f.Input("mse", "target"));
        _f.Verify("mse", new MseLoss().Forward(pred, target), null, ("pred", pred), ("target", target));
    }

    [Fact]
    public void BceWithLogits()
    {
        var (logits, target) = (_f.Input("bce_with_logits", "logits"), _f.Input("bce_with_logits", "target"));
        _f.Verify("bce_with_logits", new BceWithLogitsLoss().Forward(logits, target), null, ("logits", logits), ("target", target));
    }

    [Fact]
    public void Embedding()
    {
        var embedding = new Embedding(10, 4);
        _f.LoadParameters("embedding", embedding);
        _f.Verify("embedding", embedding.Forward(_f.Indices("embedding.in.ids"), 2, 5), embedding);
    }

    [Fact]
    public void SdpaCausal()
    {
        var (q, k, v) = (_f.Input("sdpa_causal", "q"), _f.Input("sdpa_causal", "k"), _f.Input("sdpa_causal", "v"));
        _f.Verify("sdpa_causal", Tensor.ScaledDotProductAttention(q, k, v, causal: true), null, ("q", q), ("k", k), ("v", v));
    }

    private void Sequence(string op, Recurrent.Recurrent rnn)
    {
        _f.LoadParameters(op, rnn);
        var x = _f.Input(op, "x");
        _f.Verify(op, rnn.Forward(x).Output, rnn, ("x", x));
    }

    [Fact] public void RnnTanh() => Sequence("rnn_tanh", new RNN(4, 6, batchFirst: true));
    [Fact] public void Lstm() => Sequence("lstm", new LSTM(4, 6, batchFirst: true));
    [Fact] public void Gru() => Sequence("gru", new GRU(4, 6, batchFirst: true));

    [Fact]
    public void MultiheadAttention()
    {
        var mha = new MultiheadAttention(8, 2, batchFirst: true);
        _f.LoadParameters("multihead_attention", mha);
        var x = _f.Input("multihead_attention", "x");
        _f.Verify("multihead_attention", mha.Forward(x), mha, ("x", x));
    }
}
