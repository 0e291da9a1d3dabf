using Moxing.Core.Autograd;
using Moxing.Core.Formats.Safetensors;
using Moxing.Nn.Optim;
using Moxing.Tests;

namespace Moxing.Nn.Tests;

public class OptimizerFixtureTests
{
    public static TheoryData<string> Names => ["sgd", "sgd_momentum", "sgd_nesterov_wd", "rmsprop", "rmsprop_momentum", "adagrad", "adam", "adam_wd", "adamw"];

    private static Optimizer Create(string name, Tensor p) => name switch
    {
        "sgd" => new Sgd([p], 0.1),
        "sgd_momentum" => new Sgd([p], 0.1, momentum: 0.9),
        "sgd_nesterov_wd" => new Sgd([p], 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01),
        "rmsprop" => new RmsProp([p], 0.01, alpha: 0.99, eps: 1e-8),
        "rmsprop_momentum" => new RmsProp([p], 0.01, alpha: 0.9, eps: 1e-8, momentum: 0.5),
        "adagrad" => new Adagrad([p], 0.1),
        "adam" => new Adam([p], 0.01, 0.9, 0.999, 1e-8),
        "adam_wd" => new Adam([p], 0.01, weightDecay: 0.1),
        "adamw" => new AdamW([p], 0.01, 0.9, 0.95, 1e-8, weightDecay: 0.1),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesTorchTrajectory(string name)
    {
        using var file = SafetensorsFile.Open(Fixtures.Path("hf", "ops", "optim.safetensors"));
        Tensor Get(string n) => Tensor.FromStored(file.Find(n) ?? throw new KeyNotFoundException(n));
        var p = Get("start").RequireGrad();
        var optimizer = Create(name, p);
        for (var step = 0; step < 6; step++)
        {
            p.Grad = Get($"grad{step}");
            optimizer.Step();
            OpsFixture.AssertClose($"{name}.step{step}", Get($"{name}.step{step}"), p, 1e-5);
        }
    }
}
