namespace Moxing.Training.Metrics;

/// <summary>
/// Accuracy, the confusion matrix (rows = true class, columns = predicted class) and per-class precision, recall
/// and F1 of a set of predictions.
/// </summary>
public sealed class ClassificationReport
{
    /// <summary>Tallies <paramref name="predicted"/> against <paramref name="actual"/> over <paramref name="classNames"/>.</summary>
    public ClassificationReport(ReadOnlySpan<int> predicted, ReadOnlySpan<int> actual, IReadOnlyList<string> classNames)
    {
        if (predicted.Length != actual.Length) throw new ArgumentException($"{predicted.Length} predictions for {actual.Length} labels");
        var k = classNames.Count;
        ClassNames = classNames;
        Confusion = new long[k, k];
        for (var i = 0; i < predicted.Length; i++)
        {
            if ((uint)actual[i] >= (uint)k || (uint)predicted[i] >= (uint)k)
                throw new ArgumentException($"class {Math.Max(actual[i], predicted[i])} is outside the {k} classes");
            Confusion[actual[i], predicted[i]]++;
        }
        Count = predicted.Length;
        long correct = 0;
        for (var c = 0; c < k; c++) correct += Confusion[c, c];
        Accuracy = Count == 0 ? 0 : (double)correct / Count;
        Classes = new ClassScores[k];
        for (var c = 0; c < k; c++)
        {
            long predictedC = 0, actualC = 0;
            for (var j = 0; j < k; j++)
            {
                predictedC += Confusion[j, c];
                actualC += Confusion[c, j];
            }
            var tp = Confusion[c, c];
            var precision = predictedC == 0 ? 0 : (double)tp / predictedC;
            var recall = actualC == 0 ? 0 : (double)tp / actualC;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            Classes[c] = new ClassScores(classNames[c], precision, recall, f1, actualC);
        }
        MacroF1 = k == 0 ? 0 : Classes.Average(s => s.F1);
    }

    /// <summary>Class names, index = class.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of predictions.</summary>
    public int Count { get; }

    /// <summary>Fraction predicted correctly.</summary>
    public double Accuracy { get; }

    /// <summary>Unweighted mean of the per-class F1 scores.</summary>
    public double MacroF1 { get; }

    /// <summary>Counts: [true class, predicted class].</summary>
    public long[,] Confusion { get; }

    /// <summary>Precision, recall, F1 and support of each class.</summary>
    public ClassScores[] Classes { get; }
}

/// <summary>The scores of one class.</summary>
public sealed record ClassScores(string Name, double Precision, double Recall, double F1, long Support);
