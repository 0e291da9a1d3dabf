using Moxing.Fuzz;
using SharpFuzz;

// moxing fuzz driver: `TARGET` runs under AFL++ (scripts/fuzz.sh), `TARGET --seeds DIR REPO` writes seed inputs,
// `TARGET --replay FILE...` runs inputs outside AFL++ and prints what each finding threw.
if (args.Length == 0 || FuzzTarget.All.FirstOrDefault(t => t.Name == args[0]) is not { } target)
{
    Console.Error.WriteLine($"usage: Moxing.Fuzz TARGET [--seeds DIR REPOSITORY | --replay FILE...]; targets: {string.Join(", ", FuzzTarget.All.Select(t => t.Name))}");
    return 2;
}
if (args.Length == 1)
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        target.RunChecked(buffer.ToArray());
    });
    return 0;
}
if (args is [_, "--seeds", var folder, var repository])
{
    Directory.CreateDirectory(folder);
    // Identical seeds (the tiny models share a tokenizer, the reference files a header) only slow AFL++ down.
    foreach (var (name, data) in target.Seeds(repository).DistinctBy(s => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(s.Data))))
        File.WriteAllBytes(Path.Combine(folder, name), data);
    return 0;
}
if (args is [_, "--replay", .. var files] && files.Length > 0)
{
    var findings = 0;
    foreach (var file in files)
    {
        try
        {
            var refused = target.RunChecked(File.ReadAllBytes(file));
            Console.WriteLine($"{file}: {(refused is null ? "accepted" : $"refused: {refused.Message}")}");
        }
        catch (Exception e)
        {
            findings++;
            Console.WriteLine($"{file}: {e.GetType().FullName}: {e.Message}\n{e.StackTrace}");
        }
    }
    Console.WriteLine($"{files.Length - findings} passed, {findings} failed");
    return findings == 0 ? 0 : 1;
}
Console.Error.WriteLine("usage: Moxing.Fuzz TARGET [--seeds DIR REPOSITORY | --replay FILE...]");
return 2;
