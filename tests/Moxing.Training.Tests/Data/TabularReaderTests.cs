using Moxing.Core;
using Moxing.Tests;
using Moxing.Training.Data.Readers;

namespace Moxing.Training.Tests.Data;

public class TabularReaderTests
{
    [Fact]
    public void ScikitLearnHeaderGivesClassNames()
    {
        var table = TabularReader.Read(Fixtures.Path("data", "iris.csv"));
        var data = table.Data;
        Assert.Equal(150, data.Count);
        Assert.Equal([4], data.ExampleShape);
        Assert.Equal(["setosa", "versicolor", "virginica"], data.Targets.ClassNames);
        Assert.Equal([5.1f, 3.5f, 1.4f, 0.2f], data.Example(0).ToArray());
        Assert.Equal(50, data.Targets.Labels!.Count(l => l == 2));
    }

    [Fact]
    public void HeaderlessGzipDigitsUseLastColumnAsLabel()
    {
        var data = TabularReader.Read(Fixtures.Path("data", "digits.csv.gz")).Data;
        Assert.Equal(1797, data.Count);
        Assert.Equal([64], data.ExampleShape);
        Assert.Equal(10, data.Targets.ClassNames.Count);
        Assert.Equal(0, data.Targets.Labels![0]);
        Assert.Equal(1, data.Targets.Labels![1]);
        Assert.Equal(13f, data.Example(0)[3]);
    }

    [Fact]
    public void WhitespaceFeaturesWithSeparateTargetsAreRegression()
    {
        var data = TabularReader.Read(Fixtures.Path("data", "diabetes_data_raw.csv.gz"),
            new TabularOptions { TargetsPath = Fixtures.Path("data", "diabetes_target.csv.gz") }).Data;
        Assert.Equal(442, data.Count);
        Assert.Equal([10], data.ExampleShape);
        Assert.False(data.Targets.IsClassification);
        Assert.Equal(151f, data.Targets.Values![0]);
        Assert.Equal(59f, data.Example(0)[0]);
    }

    [Fact]
    public void NamedHeaderAndLabelColumnWithQuotes()
    {
        using var dir = new TempFolder();
        var path = dir.Write("t.csv", "kind,x,\"y, z\"\ncat,1,2\ndog,3,4\n\ncat,5,6\n");
        var table = TabularReader.Read(path, new TabularOptions { LabelColumn = "kind" });
        Assert.Equal(["x", "y, z"], table.FeatureNames);
        Assert.Equal(["cat", "dog"], table.Data.Targets.ClassNames);
        Assert.Equal([0, 1, 0], table.Data.Targets.Labels!);
        Assert.Equal([5f, 6f], table.Data.Example(2).ToArray());
    }

    [Fact]
    public void TsvRegressionByTask()
    {
        using var dir = new TempFolder();
        var path = dir.Write("t.tsv", "a\tb\ty\n1\t2\t1\n3\t4\t2\n");
        var data = TabularReader.Read(path, new TabularOptions { Task = TabularTask.Regression }).Data;
        Assert.Equal([1f, 2f], data.Targets.Values!);
    }

    [Fact]
    public void BadCellNamesFileLineAndColumn()
    {
        using var dir = new TempFolder();
        var path = dir.Write("bad.csv", "a,b,label\n1,2,x\n1,oops,y\n");
        var e = Assert.Throws<InvalidModelFileException>(() => TabularReader.Read(path));
        Assert.Contains("bad.csv", e.Message);
        Assert.Contains("line 3", e.Message);
        Assert.Contains("column 'b': 'oops'", e.Message);
        path = dir.Write("ragged.csv", "a,b,label\n1,2,x\n1,y\n");
        Assert.Contains("line 3: 2 fields, expected 3", Assert.Throws<InvalidModelFileException>(() => TabularReader.Read(path)).Message);
        path = dir.Write("quote.csv", "a,label\n\"1,x\n");
        Assert.Contains("line 2: a quoted field is never closed", Assert.Throws<InvalidModelFileException>(() => TabularReader.Read(path)).Message);
    }
}
