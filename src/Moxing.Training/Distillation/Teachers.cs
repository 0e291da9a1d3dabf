using Moxing.Core;
using Moxing.Models;
using Moxing.Training.Recipes;
using Moxing.Training.Trainer;

namespace Moxing.Training.Distillation;

/// <summary>Opens the teacher a distillation recipe names and completes the student's recipe from it.</summary>
public static class Teachers
{
    /// <summary>True when <paramref name="path"/> is a `moxing train` run folder.</summary>
    public static bool IsRun(string path) => File.Exists(new RunFolder(path).Recipe);

    /// <summary>
    /// Fills what the student recipe leaves out from a run-folder teacher: its data section and seed, so both see
    /// the same examples, normalized alike. Makes the teacher path absolute.
    /// </summary>
    public static void CompleteRecipe(Recipe student)
    {
        if (student.Distillation is not { } d) return;
        if (string.IsNullOrEmpty(d.Teacher)) throw new MoxingException("distillation.teacher is missing (a run folder, a model folder or a GGUF file)");
        if (!Directory.Exists(d.Teacher) && !File.Exists(d.Teacher)) throw new MoxingException($"distillation.teacher {d.Teacher}: no such run folder, model folder or GGUF file");
        d.Teacher = Path.GetFullPath(d.Teacher);
        if (!string.IsNullOrEmpty(student.Data.Path) || !IsRun(d.Teacher)) return;
        var teacher = RecipeFile.Load(new RunFolder(d.Teacher).Recipe);
        student.Data = teacher.Data;
        student.Seed = teacher.Seed;
    }

    /// <summary>The distillation objective of <paramref name="recipe"/> for the student's prepared data.</summary>
    public static DistillationObjective Objective(Recipe recipe, PreparedData data)
    {
        var d = recipe.Distillation ?? throw new InvalidOperationException("the recipe has no distillation section");
        ITeacher teacher;
        if (IsRun(d.Teacher))
        {
            var (_, teacherData, model) = TrainingRun.Reopen(d.Teacher);
            if (teacherData.Outputs != data.Outputs)
                throw new MoxingException($"the teacher {d.Teacher} predicts {teacherData.Outputs} classes or tokens, the student's data {data.Outputs}: they must match");
            teacher = new RunTeacher(model, d.Teacher);
        }
        else
        {
            if (data.Task != TrainingTask.LanguageModel)
                throw new MoxingException($"the teacher {d.Teacher} is a language model; it can teach a gpt student on corpus data tokenized with its tokenizer.json");
            var decoder = new DecoderTeacher(ModelLoader.Load(d.Teacher));
            if (decoder.VocabularySize != data.Outputs)
                throw new MoxingException($"the teacher {d.Teacher} has a vocabulary of {decoder.VocabularySize} tokens, the student's data {data.Outputs} (use the teacher's tokenizer.json as data.tokenizer)");
            teacher = decoder;
        }
        return new DistillationObjective(data.Task, recipe.Training.LabelSmoothing, teacher, d.Temperature, d.Alpha, cache: data.Augmentations.Count == 0);
    }
}
