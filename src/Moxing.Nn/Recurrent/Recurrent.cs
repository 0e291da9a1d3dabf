using System.Globalization;
using Moxing.Core.Autograd;
using Moxing.Nn.Layers;
using Moxing.Nn.Modules;

namespace Moxing.Nn.Recurrent;

/// <summary>The output of a recurrent layer: every step's top-layer output, the last hidden state per layer and direction, and (LSTM) the last cell state.</summary>
/// <param name="Output">[B, T, D·H] when batch-first, else [T, B, D·H].</param>
/// <param name="Hidden">[layers·D, B, H].</param>
/// <param name="Cell">[layers·D, B, H] for LSTM, else null.</param>
public sealed record RecurrentOutput(Tensor Output, Tensor Hidden, Tensor? Cell);

/// <summary>Multi-layer, optionally bidirectional recurrence with PyTorch's parameter names (weight_ih_l0, weight_hh_l0_reverse, …) and gate-stacked weights.</summary>
public abstract class Recurrent : Module
{
    private readonly Tensor[][] _weights;
    private readonly Dropout _dropout;

    /// <summary>Creates the layers with U(±1/√hidden) weights as PyTorch.</summary>
    protected Recurrent(int gates, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst, float dropout, bool bidirectional, Random? rng)
    {
        if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0) throw new ArgumentException("recurrent sizes and layer count must be positive");
        rng ??= Rng.Shared;
        (HiddenSize, NumLayers, BatchFirst, Directions) = (hiddenSize, numLayers, batchFirst, bidirectional ? 2 : 1);
        _dropout = RegisterModule("dropout", new Dropout(dropout, rng));
        var bound = 1f / MathF.Sqrt(hiddenSize);
        _weights = new Tensor[numLayers * Directions][];
        for (var layer = 0; layer < numLayers; layer++)
            for (var dir = 0; dir < Directions; dir++)
            {
                var suffix = "_l" + layer.ToString(CultureInfo.InvariantCulture) + (dir == 1 ? "_reverse" : "");
                var input = layer == 0 ? inputSize : hiddenSize * Directions;
                var set = new List<Tensor>
                {
                    RegisterParameter("weight_ih" + suffix, Tensor.Uniform(rng, -bound, bound, gates * hiddenSize, input)),
                    RegisterParameter("weight_hh" + suffix, Tensor.Uniform(rng, -bound, bound, gates * hiddenSize, hiddenSize)),
                };
                if (bias)
                {
                    set.Add(RegisterParameter("bias_ih" + suffix, Tensor.Uniform(rng, -bound, bound, gates * hiddenSize)));
                    set.Add(RegisterParameter("bias_hh" + suffix, Tensor.Uniform(rng, -bound, bound, gates * hiddenSize)));
                }
                _weights[layer * Directions + dir] = [.. set];
            }
    }

    /// <summary>Hidden state size H.</summary>
    public int HiddenSize { get; }

    /// <summary>Stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions { get; }

    /// <summary>Input and output are [B, T, …] rather than [T, B, …].</summary>
    public bool BatchFirst { get; }

    /// <summary>True when the cell carries a separate cell state (LSTM).</summary>
    protected virtual bool HasCell => false;

    /// <summary>One step: from the input projection xw = W_ih·x + b_ih [B, G·H] and the state, the next hidden (and cell) state.</summary>
    protected abstract (Tensor Hidden, Tensor? Cell) Cell(Tensor inputProjection, Tensor hidden, Tensor? cell, Tensor weightHh, Tensor? biasHh);

    /// <summary>Runs the sequence; <paramref name="h0"/> and <paramref name="c0"/> are [layers·D, B, H] (zeros when null).</summary>
    public RecurrentOutput Forward(Tensor input, Tensor? h0 = null, Tensor? c0 = null)
    {
        if (input.Rank != 3) throw new ArgumentException($"{GetType().Name} expects a 3-D input, got {Shapes.Format(input.Shape)}");
        var x = BatchFirst ? input : input.Transpose(0, 1);
        int batch = x.Shape[0], steps = x.Shape[1];
        var hiddenStates = new List<Tensor>();
        var cellStates = new List<Tensor>();
        for (var layer = 0; layer < NumLayers; layer++)
        {
            if (layer > 0) x = _dropout.Forward(x);
            var outputs = new Tensor[Directions];
            for (var dir = 0; dir < Directions; dir++)
            {
                var index = layer * Directions + dir;
                var w = _weights[index];
                var projection = Tensor.Linear(x, w[0], w.Length > 2 ? w[2] : null);
                var h = h0?.Select(0, index) ?? Tensor.Zeros(batch, HiddenSize);
                var c = HasCell ? c0?.Select(0, index) ?? Tensor.Zeros(batch, HiddenSize) : null;
                var sequence = new Tensor[steps];
                for (var s = 0; s < steps; s++)
                {
                    var t = dir == 0 ? s : steps - 1 - s;
                    (h, c) = Cell(projection.Select(1, t), h, c, w[1], w.Length > 2 ? w[3] : null);
                    sequence[t] = h;
                }
                outputs[dir] = Tensor.Stack(sequence, 1);
                hiddenStates.Add(h);
                if (c != null) cellStates.Add(c);
            }
            x = Directions == 1 ? outputs[0] : Tensor.Concat(outputs, -1);
        }
        return new RecurrentOutput(BatchFirst ? x : x.Transpose(0, 1), Tensor.Stack(hiddenStates, 0), HasCell ? Tensor.Stack(cellStates, 0) : null);
    }

    /// <summary>Gate <paramref name="k"/> (H columns) of a gate-stacked [B, G·H] tensor.</summary>
    protected Tensor Gate(Tensor stacked, int k) => stacked.Narrow(-1, k * HiddenSize, HiddenSize);
}

/// <summary>Elman RNN: h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh) (or ReLU).</summary>
public sealed class RNN(int inputSize, int hiddenSize, int numLayers = 1, bool relu = false, bool bias = true, bool batchFirst = false, float dropout = 0f, bool bidirectional = false, Random? rng = null)
    : Recurrent(1, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, rng)
{
    /// <inheritdoc />
    protected override (Tensor Hidden, Tensor? Cell) Cell(Tensor xw, Tensor h, Tensor? c, Tensor whh, Tensor? bhh)
    {
        var pre = xw + Tensor.Linear(h, whh, bhh);
        return (relu ? pre.Relu() : pre.Tanh(), null);
    }
}

/// <summary>LSTM with PyTorch's gate order i, f, g, o: c' = f·c + i·g, h' = o·tanh(c').</summary>
public sealed class LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, float dropout = 0f, bool bidirectional = false, Random? rng = null)
    : Recurrent(4, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, rng)
{
    /// <inheritdoc />
    protected override bool HasCell => true;

    /// <inheritdoc />
    protected override (Tensor Hidden, Tensor? Cell) Cell(Tensor xw, Tensor h, Tensor? c, Tensor whh, Tensor? bhh)
    {
        var gates = xw + Tensor.Linear(h, whh, bhh);
        var i = Gate(gates, 0).Sigmoid();
        var f = Gate(gates, 1).Sigmoid();
        var g = Gate(gates, 2).Tanh();
        var o = Gate(gates, 3).Sigmoid();
        var next = f * c! + i * g;
        return (o * next.Tanh(), next);
    }
}

/// <summary>GRU with PyTorch's gate order r, z, n: n = tanh(xn + r·(W_hn·h + b_hn)), h' = (1 − z)·n + z·h.</summary>
public sealed class GRU(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, float dropout = 0f, bool bidirectional = false, Random? rng = null)
    : Recurrent(3, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, rng)
{
    /// <inheritdoc />
    protected override (Tensor Hidden, Tensor? Cell) Cell(Tensor xw, Tensor h, Tensor? c, Tensor whh, Tensor? bhh)
    {
        var hw = Tensor.Linear(h, whh, bhh);
        var r = (Gate(xw, 0) + Gate(hw, 0)).Sigmoid();
        var z = (Gate(xw, 1) + Gate(hw, 1)).Sigmoid();
        var n = (Gate(xw, 2) + r * Gate(hw, 2)).Tanh();
        return (n + z * (h - n), null);
    }
}
