using Moxing.Core.Autograd;
using static Moxing.Core.Tests.Autograd.GradCheck;

namespace Moxing.Core.Tests.Autograd;

public class GradientCheckTests
{
    [Fact] public void AddBroadcast() => Check(t => t[0] + t[1], Random(1, 3, 4, 5), Random(2, 4, 1));
    [Fact] public void SubtractBroadcast() => Check(t => t[0] - t[1], Random(1, 2, 1, 5), Random(2, 3, 1));
    [Fact] public void MultiplyBroadcast() => Check(t => t[0] * t[1], Random(1, 2, 3, 4), Random(2, 3, 1));
    [Fact] public void DivideBroadcast() => Check(t => t[0] / (t[1] * t[1] + 1f), Random(1, 2, 3, 4), Random(2, 4));
    [Fact] public void ScalarArithmetic() => Check(t => (2f - t[0]) * 3f + 1f / (t[0] + 4f) - 0.5f, Random(1, 3, 4));
    [Fact] public void MatMulBatchedBroadcast() => Check(t => Tensor.MatMul(t[0], t[1]), Random(1, 2, 1, 3, 4), Random(2, 3, 4, 5));
    [Fact] public void MatMulWithMatrix() => Check(t => Tensor.MatMul(t[0], t[1]), Random(1, 2, 3, 4), Random(2, 4, 5));
    [Fact] public void MatMulVector() => Check(t => Tensor.MatMul(t[0], t[1]), Random(1, 3, 4), Random(2, 4));
    [Fact] public void MatMulLarge() => Check(t => Tensor.MatMul(t[0], t[1]), Random(1, 37, 70), Random(2, 70, 45));
    [Fact] public void Linear() => Check(t => Tensor.Linear(t[0], t[1], t[2]), Random(1, 2, 3, 5), Random(2, 4, 5), Random(3, 4));
    [Fact] public void SumDimsKeepDim() => Check(t => t[0].Sum([0, 2], keepDim: true), Random(1, 2, 3, 4));
    [Fact] public void SumDim() => Check(t => t[0].Sum(1), Random(1, 2, 3, 4));
    [Fact] public void SumAll() => Check(t => t[0].Sum(), Random(1, 2, 3));
    [Fact] public void MeanDims() => Check(t => t[0].Mean([-1]), Random(1, 2, 3, 4));
    [Fact] public void MeanAll() => Check(t => t[0].Mean(), Random(1, 5, 3));
    [Fact] public void MaxDim() => Check(t => t[0].Max(1).Values, Random(1, 3, 5, 2));
    [Fact] public void MaxAll() => Check(t => t[0].Max(), Random(1, 4, 5));
    [Fact] public void Exp() => Check(t => t[0].Exp(), Random(1, 3, 4));
    [Fact] public void Log() => Check(t => (t[0] * t[0] + 0.5f).Log(), Random(1, 3, 4));
    [Fact] public void Sqrt() => Check(t => (t[0] * t[0] + 0.5f).Sqrt(), Random(1, 3, 4));
    [Fact] public void Pow() => Check(t => (t[0] + 2f).Pow(2.5f) + t[0].Pow(3f), Random(1, 3, 4));
    [Fact] public void Abs() => Check(t => t[0].Abs(), Random(1, 3, 4));
    [Fact] public void Clamp() => Check(t => t[0].Clamp(-0.5f, 0.5f), Random(1, 3, 4));
    [Fact] public void ReshapeAndView() => Check(t => t[0].Reshape(4, -1).View(2, 2, 6) * t[0].Reshape(2, 2, 6), Random(1, 2, 3, 4));
    [Fact] public void Transpose() => Check(t => t[0].Transpose(0, 2), Random(1, 2, 3, 4));
    [Fact] public void Permute() => Check(t => t[0].Permute(2, 0, 3, 1), Random(1, 2, 3, 4, 5));
    [Fact] public void Narrow() => Check(t => t[0].Narrow(1, 1, 2) + t[0].Slice(1, -2, 4), Random(1, 2, 4, 3));
    [Fact] public void Select() => Check(t => t[0].Select(-1, 2), Random(1, 2, 4, 3));
    [Fact] public void Concat() => Check(t => Tensor.Concat([t[0], t[1], t[0]], 1), Random(1, 2, 3, 4), Random(2, 2, 1, 4));
    [Fact] public void Stack() => Check(t => Tensor.Stack([t[0], t[1]], -1), Random(1, 2, 3), Random(2, 2, 3));
    [Fact] public void Split() => Check(t => t[0].Split(2, 1)[1] * 2f + t[0].Split(2, 1)[2].Sum(), Random(1, 3, 5));
    [Fact] public void IndexSelect() => Check(t => t[0].IndexSelect(1, [2, 0, 2, 1]), Random(1, 2, 3, 4));
    [Fact] public void Embedding() => Check(t => t[0].Embedding([1, 3, 1, 0, 4, 4], [2, 3]), Random(1, 5, 3));
    [Fact]
    public void EmbeddingPaddingGetsNoGradient()
    {
        var table = Random(1, 5, 3);
        table.Embedding([1, 2, 1], [3], paddingIndex: 1).Sum().Backward();
        Assert.Equal([0f, 0f, 0f], table.Grad!.ToArray()[3..6]);
        Assert.Equal([1f, 1f, 1f], table.Grad!.ToArray()[6..9]);
    }
    [Fact] public void Relu() => Check(t => t[0].Relu(), Random(1, 4, 5));
    [Fact] public void GeluExact() => Check(t => (t[0] * 3f).Gelu(), Random(1, 4, 5));
    [Fact] public void GeluTanh() => Check(t => (t[0] * 3f).Gelu(tanhApproximation: true), Random(1, 4, 5));
    [Fact] public void Silu() => Check(t => (t[0] * 3f).Silu(), Random(1, 4, 5));
    [Fact] public void Tanh() => Check(t => (t[0] * 2f).Tanh(), Random(1, 4, 5));
    [Fact] public void Sigmoid() => Check(t => (t[0] * 3f).Sigmoid(), Random(1, 4, 5));
    [Fact] public void SoftmaxLastDim() => Check(t => t[0].Softmax(-1), Random(1, 3, 6));
    [Fact] public void SoftmaxInnerDim() => Check(t => t[0].Softmax(1), Random(1, 2, 4, 3));
    [Fact] public void LogSoftmax() => Check(t => t[0].LogSoftmax(0), Random(1, 5, 3));
    [Fact] public void Conv2dPaddingStride() => Check(t => Tensor.Conv2d(t[0], t[1], t[2], stride: (2, 1), padding: (1, 2)), Random(1, 2, 3, 7, 6), Random(2, 4, 3, 3, 2), Random(3, 4));
    [Fact] public void Conv2dDilationGroups() => Check(t => Tensor.Conv2d(t[0], t[1], null, padding: (2, 2), dilation: (2, 2), groups: 2), Random(1, 2, 4, 6, 6), Random(2, 6, 2, 3, 3));
    [Fact] public void Conv2dSingleSample() => Check(t => Tensor.Conv2d(t[0], t[1], t[2], padding: (1, 1)), Random(1, 1, 2, 5, 5), Random(2, 3, 2, 3, 3), Random(3, 3));
    [Fact] public void MaxPool2d() => Check(t => t[0].MaxPool2d((2, 2)), Random(1, 2, 2, 6, 6));
    [Fact] public void MaxPool2dPaddedStrided() => Check(t => t[0].MaxPool2d((3, 3), stride: (2, 2), padding: (1, 1)), Random(1, 1, 2, 7, 7));
    [Fact] public void AvgPool2d() => Check(t => t[0].AvgPool2d((3, 3), stride: (2, 2), padding: (1, 1)), Random(1, 2, 2, 7, 6));
    [Fact] public void AvgPool2dExcludePad() => Check(t => t[0].AvgPool2d((2, 2), stride: (1, 1), padding: (1, 1), countIncludePad: false), Random(1, 1, 2, 4, 5));
    [Fact] public void AdaptiveAvgPool2d() => Check(t => t[0].AdaptiveAvgPool2d(3, 2), Random(1, 2, 2, 7, 5));
    [Fact] public void LayerNorm() => Check(t => Tensor.LayerNorm(t[0], 6, t[1], t[2]), Random(1, 2, 3, 6), Random(2, 6), Random(3, 6));
    [Fact] public void LayerNormNoAffine() => Check(t => Tensor.LayerNorm(t[0], 12), Random(1, 2, 3, 4));
    [Fact] public void RmsNorm() => Check(t => Tensor.RmsNorm(t[0], 5, t[1]), Random(1, 3, 5), Random(2, 5));
    [Fact] public void BatchNormTraining() => Check(t => Tensor.BatchNorm(t[0], null, null, t[1], t[2], training: true), Random(1, 4, 3, 2, 2), Random(2, 3), Random(3, 3));
    [Fact]
    public void BatchNormEval()
    {
        var mean = Tensor.From([0.1f, -0.2f, 0.3f], 3);
        var variance = Tensor.From([0.5f, 1.5f, 2f], 3);
        Check(t => Tensor.BatchNorm(t[0], mean, variance, t[1], t[2], training: false), Random(1, 4, 3, 5), Random(2, 3), Random(3, 3));
    }
    [Fact]
    public void DropoutMatchesItsMask()
    {
        var x = Random(1, 200);
        var y = x.Dropout(0.3f, true, new Random(5));
        y.Backward(Tensor.Ones(200));
        var zeros = 0;
        for (var i = 0; i < 200; i++)
        {
            if (y.Data[i] == 0f) { zeros++; Assert.Equal(0f, x.Grad!.Data[i]); }
            else { Assert.Equal(x.Data[i] / 0.7f, y.Data[i], 5); Assert.Equal(1f / 0.7f, x.Grad!.Data[i], 5); }
        }
        Assert.InRange(zeros, 35, 90);
        Check(t => t[0].Dropout(0.5f, true, new Random(3)), Random(2, 4, 5));
        Assert.Same(x, x.Dropout(0.5f, false, new Random(3)));
    }
    [Fact] public void AttentionCausal() => Check(t => Tensor.ScaledDotProductAttention(t[0], t[1], t[2], causal: true), Random(1, 2, 3, 4), Random(2, 2, 5, 4), Random(3, 2, 5, 3));
    [Fact] public void AttentionMasked() => Check(t => Tensor.ScaledDotProductAttention(t[0], t[1], t[2], mask: t[3], scale: 0.7f), Random(1, 2, 3, 4), Random(2, 2, 3, 4), Random(3, 2, 3, 2), Random(4, 3, 3));
    [Fact] public void CrossEntropySmoothingIgnore() => Check(t => Tensor.CrossEntropy(t[0] * 2f, [1, -100, 3, 0], labelSmoothing: 0.1f), Random(1, 4, 5));
    [Fact] public void CrossEntropyPerRow() => Check(t => Tensor.CrossEntropy(t[0], [1, 2, 3], Reduction.None), Random(1, 3, 5));
    [Fact] public void CrossEntropySum() => Check(t => Tensor.CrossEntropy(t[0], [1, 2, 3], Reduction.Sum, ignoreIndex: 2), Random(1, 3, 5));
    [Fact] public void NllLoss() => Check(t => Tensor.NllLoss(t[0].LogSoftmax(-1), [4, 0, 2], ignoreIndex: 0), Random(1, 3, 5));
    [Fact] public void BceWithLogits() => Check(t => Tensor.BinaryCrossEntropyWithLogits(t[0] * 4f, t[1].Sigmoid()), Random(1, 3, 4), Random(2, 3, 4));
    [Fact] public void BceWithLogitsNone() => Check(t => Tensor.BinaryCrossEntropyWithLogits(t[0], t[1], Reduction.None), Random(1, 6), Random(2, 6));
    [Fact] public void Mse() => Check(t => Tensor.MseLoss(t[0], t[1]), Random(1, 3, 4), Random(2, 3, 4));
}
