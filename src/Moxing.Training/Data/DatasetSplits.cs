namespace Moxing.Training.Data;

/// <summary>Train, validation and test parts of a data set.</summary>
public sealed record DatasetSplits(Dataset Train, Dataset Validation, Dataset Test)
{
    /// <summary>
    /// Shuffles the example order with <paramref name="seed"/> and cuts it into test, validation and train parts
    /// (the fractions are of the whole); classification sets are split per class so each part keeps the class mix.
    /// </summary>
    public static DatasetSplits Split(Dataset data, double validationFraction, double testFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (validationFraction < 0 || testFraction < 0 || validationFraction + testFraction >= 1)
            throw new ArgumentException($"validation ({validationFraction}) and test ({testFraction}) fractions must be ≥ 0 and sum below 1");
        var rng = new Random(seed);
        var train = new List<int>();
        var validation = new List<int>();
        var test = new List<int>();
        foreach (var group in Strata(data))
        {
            rng.Shuffle(group);
            var nTest = (int)Math.Round(group.Length * testFraction);
            var nValidation = (int)Math.Round(group.Length * validationFraction);
            test.AddRange(group.AsSpan(0, nTest));
            validation.AddRange(group.AsSpan(nTest, nValidation));
            train.AddRange(group.AsSpan(nTest + nValidation));
        }
        return new(Part(data, train, rng), Part(data, validation, rng), Part(data, test, rng));
    }

    private static Dataset Part(Dataset data, List<int> indices, Random rng)
    {
        var order = indices.ToArray();
        rng.Shuffle(order);
        return data.Subset(order);
    }

    // Stratify only when each example has a single class label; sequences and regression split as one group.
    private static List<int[]> Strata(Dataset data)
    {
        var targets = data.Targets;
        if (!targets.IsClassification || targets.LabelsPerExample != 1)
            return [Enumerable.Range(0, data.Count).ToArray()];
        var groups = new List<int>[targets.ClassNames.Count];
        for (var c = 0; c < groups.Length; c++) groups[c] = [];
        for (var i = 0; i < data.Count; i++) groups[targets.Labels![i]].Add(i);
        return groups.Where(g => g.Count > 0).Select(g => g.ToArray()).ToList();
    }
}
