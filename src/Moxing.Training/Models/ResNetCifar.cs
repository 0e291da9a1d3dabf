using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Nn.Layers;
using Moxing.Nn.Modules;

namespace Moxing.Training.Models;

/// <summary>
/// ResNet-18 for 32×32 images (the CIFAR variant: a 3×3 stem without pooling, four stages of two basic blocks with
/// width w, 2w, 4w, 8w, global average pooling, a linear head); w = 64 is the standard network.
/// </summary>
public sealed class ResNetCifar : Layer
{
    private readonly Sequential _stem;
    private readonly ModuleList<BasicBlock> _blocks;
    private readonly Linear _head;

    /// <summary>Builds the network for <paramref name="input"/> with base width <paramref name="width"/>.</summary>
    public ResNetCifar(ModelInput input, int width, Random rng)
    {
        if (input.ExampleShape.Length != 3) throw new MoxingException($"resnet18-cifar needs [C, H, W] images, the data has [{string.Join(", ", input.ExampleShape)}]");
        _stem = RegisterModule("stem", new Sequential(new Conv2d(input.ExampleShape[0], width, 3, padding: 1, bias: false, rng: rng), new BatchNorm2d(width), new ReLU()));
        _blocks = RegisterModule("blocks", new ModuleList<BasicBlock>());
        var channels = width;
        for (var stage = 0; stage < 4; stage++)
        {
            var outChannels = width << stage;
            for (var i = 0; i < 2; i++)
            {
                _blocks.Add(new BasicBlock(channels, outChannels, stage > 0 && i == 0 ? 2 : 1, rng));
                channels = outChannels;
            }
        }
        _head = RegisterModule("head", new Linear(channels, input.Outputs, rng: rng));
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        var x = _stem.Forward(input);
        foreach (var block in _blocks.Items) x = block.Forward(x);
        return _head.Forward(x.AdaptiveAvgPool2d(1, 1).Flatten(1));
    }

    /// <summary>Two 3×3 convolutions with batch norm, added to the input (through a 1×1 projection when the shape changes).</summary>
    private sealed class BasicBlock : Layer
    {
        private readonly Sequential _body;
        private readonly Sequential? _shortcut;

        public BasicBlock(int inChannels, int outChannels, int stride, Random rng)
        {
            _body = RegisterModule("body", new Sequential(
                new Conv2d(inChannels, outChannels, 3, stride, 1, bias: false, rng: rng), new BatchNorm2d(outChannels), new ReLU(),
                new Conv2d(outChannels, outChannels, 3, 1, 1, bias: false, rng: rng), new BatchNorm2d(outChannels)));
            if (stride != 1 || inChannels != outChannels)
                _shortcut = RegisterModule("shortcut", new Sequential(new Conv2d(inChannels, outChannels, 1, stride, bias: false, rng: rng), new BatchNorm2d(outChannels)));
        }

        public override Tensor Forward(Tensor input) => (_body.Forward(input) + (_shortcut?.Forward(input) ?? input)).Relu();
    }
}
