namespace Moxing.Core.Autograd;

public sealed partial class Tensor
{
    /// <summary>Records that <paramref name="output"/> was computed from <paramref name="a"/>, when grad mode is on and it needs grad.</summary>
    internal static Tensor Record(Tensor output, Tensor a, BackwardFn backward, object? saved = null)
    {
        if (GradMode.Enabled && a.RequiresGrad) Attach(output, [a], backward, saved);
        return output;
    }

    /// <summary>Records a two-input op.</summary>
    internal static Tensor Record(Tensor output, Tensor a, Tensor b, BackwardFn backward, object? saved = null)
    {
        if (GradMode.Enabled && (a.RequiresGrad || b.RequiresGrad)) Attach(output, [a, b], backward, saved);
        return output;
    }

    /// <summary>Records an op with any number of inputs (null inputs are optional ones left out).</summary>
    internal static Tensor Record(Tensor output, Tensor?[] inputs, BackwardFn backward, object? saved = null)
    {
        if (!GradMode.Enabled) return output;
        var any = false;
        foreach (var t in inputs) any |= t is { RequiresGrad: true };
        if (!any) return output;
        var present = new Tensor[inputs.Length];
        for (var i = 0; i < inputs.Length; i++) present[i] = inputs[i] ?? Absent;
        Attach(output, present, backward, saved);
        return output;
    }

    /// <summary>Stands for an optional input that was not given; it never takes a gradient.</summary>
    private static readonly Tensor Absent = Scalar(0);

    private static void Attach(Tensor output, Tensor[] inputs, BackwardFn backward, object? saved)
    {
        output._requiresGrad = true;
        output.GradFn = new GradNode(inputs, output, backward, saved);
    }

    /// <summary>Runs reverse-mode autograd from this tensor: leaves that require grad get d(this)/d(leaf) added to their Grad.</summary>
    /// <param name="gradient">The gradient of some loss w.r.t. this tensor; may be left out for one-element tensors (taken as 1).</param>
    public void Backward(Tensor? gradient = null)
    {
        if (!RequiresGrad) throw new InvalidOperationException("tensor does not require grad and has no grad_fn");
        if (gradient == null && Count != 1)
            throw new InvalidOperationException($"Backward() without a gradient needs a one-element tensor, this has {Count}");
        if (gradient != null && gradient.Count != Count)
            throw new ArgumentException($"gradient has {gradient.Count} elements, the tensor {Count}");
        var order = TopologicalOrder(this);
        using (GradMode.NoGrad())
        {
            if (gradient == null) GradSpan()[0] += 1f;
            else AccumulateGrad(gradient.Data);
            for (var i = order.Count - 1; i >= 0; i--)
            {
                var t = order[i];
                var node = t.GradFn!;
                if (t.Grad == null) continue;
                node.Backward(node, t.Grad.Data);
                if (!t.RetainsGrad) t.Grad = null;
            }
        }
    }

    /// <summary>Non-leaf tensors reachable from <paramref name="root"/>, each after all its inputs (iterative DFS, so long chains such as RNNs do not overflow the stack).</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        if (root.GradFn == null) return order;
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Tensor, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn!.Inputs;
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var input = inputs[next];
                if (input.GradFn != null && input.RequiresGrad && visited.Add(input)) stack.Push((input, 0));
            }
            else order.Add(t);
        }
        return order;
    }
}
