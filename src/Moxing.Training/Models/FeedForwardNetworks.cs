using Moxing.Core;
using Moxing.Nn.Layers;
using Moxing.Nn.Modules;

namespace Moxing.Training.Models;

/// <summary>Fully connected and convolutional classifiers of the zoo, as Moxing.Nn Sequentials.</summary>
public static class FeedForwardNetworks
{
    /// <summary>Flatten → (Linear → ReLU → Dropout) per hidden width → Linear; no hidden widths gives a linear model.</summary>
    public static Sequential Mlp(ModelInput input, IReadOnlyList<int> hidden, float dropout, Random rng)
    {
        var net = new Sequential(new Flatten());
        var width = input.Features;
        foreach (var h in hidden)
        {
            net.Add(new Linear(width, h, rng: rng)).Add(new ReLU());
            if (dropout > 0) net.Add(new Dropout(dropout, rng));
            width = h;
        }
        return net.Add(new Linear(width, input.Outputs, rng: rng));
    }

    /// <summary>
    /// LeNet-style CNN for [C, H, W] images: two 3×3 convolutions (c and 2c channels, same padding) each followed by
    /// ReLU and 2×2 max pooling, then a hidden layer of 4c and the output layer.
    /// </summary>
    public static Sequential LeNet(ModelInput input, int channels, float dropout, Random rng)
    {
        if (input.ExampleShape.Length != 3) throw new MoxingException($"lenet needs [C, H, W] images, the data has [{string.Join(", ", input.ExampleShape)}] (set data.image_shape)");
        var (c, h, w) = (input.ExampleShape[0], input.ExampleShape[1], input.ExampleShape[2]);
        if (h < 4 || w < 4) throw new MoxingException($"lenet needs images of at least 4×4, got {h}×{w}");
        var net = new Sequential(
            new Conv2d(c, channels, 3, padding: 1, rng: rng), new ReLU(), new MaxPool2d(2),
            new Conv2d(channels, 2 * channels, 3, padding: 1, rng: rng), new ReLU(), new MaxPool2d(2),
            new Flatten(),
            new Linear(2 * channels * (h / 4) * (w / 4), 4 * channels, rng: rng), new ReLU());
        if (dropout > 0) net.Add(new Dropout(dropout, rng));
        return net.Add(new Linear(4 * channels, input.Outputs, rng: rng));
    }
}
