using Moxing.Core.Autograd;

namespace Moxing.Nn.Optim;

/// <summary>Gradient clipping (torch.nn.utils.clip_grad_norm_).</summary>
public static class GradientClipping
{
    /// <summary>Scales all gradients so their joint p-norm is at most <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2)
    {
        var grads = new List<Tensor>();
        foreach (var p in parameters) if (p.Grad != null) grads.Add(p.Grad);
        double total = 0;
        if (double.IsPositiveInfinity(normType))
            foreach (var g in grads)
                foreach (var v in g.Data) total = Math.Max(total, Math.Abs(v));
        else
        {
            foreach (var g in grads)
                foreach (var v in g.Data) total += Math.Pow(Math.Abs(v), normType);
            total = Math.Pow(total, 1 / normType);
        }
        var coefficient = maxNorm / (total + 1e-6);
        if (coefficient < 1)
            foreach (var g in grads)
            {
                var d = g.Data;
                for (var i = 0; i < d.Length; i++) d[i] *= (float)coefficient;
            }
        return total;
    }
}
