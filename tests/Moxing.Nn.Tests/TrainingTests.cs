using Moxing.Core.Autograd;
using Moxing.Nn.Layers;
using Moxing.Nn.Losses;
using Moxing.Nn.Modules;
using Moxing.Nn.Optim;
using Moxing.Nn.Schedules;

namespace Moxing.Nn.Tests;

public class TrainingTests
{
    [Fact]
    public void MlpLearnsXor()
    {
        var net = new Sequential(new Linear(2, 16, rng: new Random(1)), new Tanh(), new Linear(16, 2, rng: new Random(2)));
        var x = Tensor.From([0, 0, 0, 1, 1, 0, 1, 1], 4, 2);
        int[] y = [0, 1, 1, 0];
        var optimizer = new Adam(net.Parameters(), 0.05);
        var loss = new CrossEntropyLoss();
        float last = 0;
        for (var step = 0; step < 200; step++)
        {
            optimizer.ZeroGrad();
            var l = loss.Forward(net.Forward(x), y);
            l.Backward();
            optimizer.Step();
            last = l.Item();
        }
        Assert.True(last < 0.05f, $"loss {last}");
        using var _ = GradMode.NoGrad();
        var logits = net.Forward(x);
        for (var i = 0; i < 4; i++) Assert.Equal(y[i], logits.Select(0, i).Max(0).Indices[0]);
    }

    [Fact]
    public void SmallCnnReducesLoss()
    {
        var rng = new Random(3);
        var net = new Sequential(new Conv2d(1, 4, 3, padding: 1, rng: rng), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
            new Conv2d(4, 8, 3, padding: 1, rng: rng), new ReLU(), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(8, 2, rng: rng));
        // Class 1 images are bright on the left half, class 0 on the right.
        var x = Tensor.Zeros(8, 1, 8, 8);
        var labels = new int[8];
        for (var n = 0; n < 8; n++)
        {
            labels[n] = n % 2;
            for (var i = 0; i < 8; i++)
                for (var j = 0; j < 8; j++)
                    x.Data[((n * 8) + i) * 8 + j] = (j < 4) == (n % 2 == 1) ? 1f : (float)rng.NextDouble() * 0.2f;
        }
        var optimizer = new Sgd(net.Parameters(), 0.1, momentum: 0.9);
        var scheduler = new CosineAnnealingLr(optimizer, 30);
        float first = 0, last = 0;
        for (var step = 0; step < 30; step++)
        {
            optimizer.ZeroGrad();
            var l = Tensor.CrossEntropy(net.Forward(x), labels);
            l.Backward();
            GradientClipping.ClipGradNorm(net.Parameters(), 5.0);
            optimizer.Step();
            scheduler.Step();
            if (step == 0) first = l.Item();
            last = l.Item();
        }
        Assert.True(last < first * 0.3f, $"loss {first} → {last}");
    }

    [Fact]
    public void GradientClippingScalesToMaxNorm()
    {
        var a = Tensor.Zeros(2).RequireGrad();
        var b = Tensor.Zeros(1).RequireGrad();
        a.Grad = Tensor.From([3f, 0f], 2);
        b.Grad = Tensor.From([4f], 1);
        var norm = GradientClipping.ClipGradNorm([a, b], 1.0);
        Assert.Equal(5.0, norm, 5);
        Assert.Equal(0.6f, a.Grad.Data[0], 5);
        Assert.Equal(0.8f, b.Grad.Data[0], 5);
        Assert.Equal(1.0, GradientClipping.ClipGradNorm([a, b], 2.0), 4);
        Assert.Equal(0.6f, a.Grad.Data[0], 5);
    }

    [Fact]
    public void SchedulesFollowTorchFormulas()
    {
        var p = Tensor.Zeros(1).RequireGrad();
        var sgd = new Sgd([p], 1.0);
        var step = new StepLr(sgd, 2, 0.5);
        double[] expected = [1, 1, 0.5, 0.5, 0.25];
        for (var e = 0; e < expected.Length; e++)
        {
            Assert.Equal(expected[e], sgd.LearningRate, 12);
            step.Step();
        }
        var cosine = new CosineAnnealingLr(new Sgd([p], 1.0), 10, 0.1);
        Assert.Equal(0.55, cosine.LearningRateAt(5), 12);
        Assert.Equal(0.1, cosine.LearningRateAt(10), 12);
        var warm = new Sgd([p], 0.3);
        var linear = new LinearLr(warm, 0.1, 1.0, 3);
        Assert.Equal(0.03, warm.LearningRate, 12);
        linear.Step();
        Assert.Equal(0.3 * 0.4, warm.LearningRate, 12);
        Assert.Equal(0.3, linear.LearningRateAt(7), 12);
        var one = new Sgd([p], 1.0);
        var cycle = new OneCycleLr(one, 1.0, 100);
        Assert.Equal(0.04, one.LearningRate, 12);
        Assert.Equal(1.0, cycle.LearningRateAt(29), 12);
        Assert.Equal(0.04 / 1e4, cycle.LearningRateAt(99), 12);
        var wc = new WarmupCosineLr(new Sgd([p], 1.0), 10, 110);
        Assert.Equal(0.1, wc.LearningRateAt(0), 12);
        Assert.Equal(1.0, wc.LearningRateAt(10), 12);
        Assert.Equal(0.5, wc.LearningRateAt(60), 12);
    }

    [Fact]
    public void SgdDampeningAndAdagradDecayFollowTorch()
    {
        var p = Tensor.From([1f], 1).RequireGrad();
        var sgd = new Sgd([p], 0.1, momentum: 0.5, dampening: 0.5);
        p.Grad = Tensor.From([1f], 1);
        sgd.Step();           // buf = 1
        sgd.Step();           // buf = 0.5 + 0.5 = 1
        Assert.Equal(1f - 0.1f - 0.1f, p.Data[0], 6);
        var q = Tensor.From([1f], 1).RequireGrad();
        var ada = new Adagrad([q], 1.0, lrDecay: 1.0);
        q.Grad = Tensor.From([2f], 1);
        ada.Step();           // sum 4, clr 1: q = 1 - 2/2
        ada.Step();           // sum 8, clr 0.5: q -= 0.5·2/√8
        Assert.Equal(0f - 0.5f * 2f / MathF.Sqrt(8f), q.Data[0], 5);
    }
}
