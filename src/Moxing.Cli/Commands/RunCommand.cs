using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Moxing.Core.Kernels;
using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Models.Vision;

namespace Moxing.Cli.Commands;

/// <summary>`moxing run MODEL [PROMPT]`: generate a reply (chat template applied) or chat interactively.</summary>
public sealed class RunCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "run";

    /// <inheritdoc />
    public string Summary => "run a model: one reply to PROMPT, or an interactive chat without it";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing run MODEL [PROMPT] [options]
          MODEL                  a Hugging Face model folder or a GGUF file
          PROMPT                 the user message; without it, an interactive chat (/clear resets, /bye or Ctrl+D ends)
          --raw                  no chat template: complete PROMPT as plain text
          --system TEXT          a system message
          -n, --max-tokens N     most tokens per reply (default 512)
          --context N            context size in tokens (default: the model's, at most 4096)
          --stop TEXT            stop when TEXT is generated
          --threads N            worker threads (default: one per physical core)
          --var KEY=JSON         extra chat-template variable, e.g. --var enable_thinking=false
          --image FILE           a PNG or JPEG image placed before the first message (a vision model: a Gemma 3 folder,
                                 or a GGUF with --mmproj)
          --mmproj FILE          the vision projector (llama.cpp's mmproj GGUF) of a GGUF model
          --verbose              print the settings, token counts and speed to stderr
        """ + LowMemoryOption.Help + SamplingArguments.Help;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "raw", "greedy", "verbose", LowMemoryOption.Name };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var path = args.Required(0, "MODEL");
        var prompt = args.Positionals.Count > 1 ? string.Join(' ', args.Positionals.Skip(1)) : null;
        var raw = args.Flag("raw");
        var system = args.Option("system");
        var maxTokens = args.Int(512, "n", "max-tokens");
        var contextSize = args.Int(0, "context");
        var stop = args.Option("stop");
        var threads = args.Int(0, "threads");
        var verbose = args.Flag("verbose");
        var lowMemory = args.Flag(LowMemoryOption.Name);
        var variables = TemplateVariables.Parse(args.Option("var"));
        var imagePath = args.Option("image");
        var projector = args.Option("mmproj");
        var sampling = SamplingArguments.Read(args);
        args.RejectUnknown();
        if (maxTokens < 1) throw new UsageException("--max-tokens must be at least 1");
        if (contextSize < 0) throw new UsageException("--context must be positive");
        if (threads < 0) throw new UsageException("--threads must be positive");
        LowMemoryOption.ConfigurePool(lowMemory, threads);

        using var model = ModelLoader.Load(path, projector);
        var decoder = model.RequireDecoder();
        var image = imagePath == null ? null : ReadImage(imagePath);
        var vision = image == null ? null : model.RequireVision();
        if (image != null && raw) throw new UsageException("--image needs the chat template; it cannot be used with --raw");
        var tokenizer = model.RequireTokenizer();
        var useTemplate = !raw && model.ChatTemplates != null;
        if (!raw && model.ChatTemplates == null && verbose)
            context.Error.WriteLine("note: the model has no chat template; completing the prompt as plain text");
        LowMemoryOption.Apply(model, lowMemory, context.Error);
        var session = lowMemory
            ? new InferenceSession(decoder, LowMemory.Context(contextSize, model.MaxContext), LowMemory.PrefillChunk, LowMemory.KvTypeFor(decoder.Options))
            : new InferenceSession(decoder, contextSize > 0 ? contextSize : Math.Min(model.MaxContext, 4096), Math.Max(64, vision?.Options.TokensPerImage ?? 0));
        if (verbose)
            context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[context {session.Context}, KV cache {session.KvType} ({HumanUnits.Bytes(session.KvBytes)}), {WorkerPool.Shared.ThreadCount} threads, weights {HumanUnits.Bytes(model.Tensors.Sum(t => t.ByteLength))} mapped, {HumanUnits.Bytes(model.CopiedWeightBytes)} copied{(lowMemory ? ", low memory" : "")}]"));
        var generator = new TextGenerator(session, tokenizer);
        var stops = stop == null ? Array.Empty<string>() : [stop];
        var history = new List<int>();
        var messages = new JsonArray();
        if (system != null) messages.Add(Message("system", system));

        string Reply(string user)
        {
            int[] ids;
            if (useTemplate)
            {
                // the image goes before the first user message's text
                var first = image != null && !messages.Any(m => (string?)m!["role"] == "user");
                messages.Add(Message("user", first ? ImagePrompt.Marker + user : user));
                var text = model.ChatTemplates!.Render(messages, null, true, variables);
                if (vision != null)
                {
                    var encoded = ImagePrompt.Encode(text, [image!], vision, tokenizer, addSpecialTokens: false);
                    (ids, session.Spans) = (encoded.Ids, encoded.Spans);
                }
                else ids = tokenizer.Encode(text, addSpecialTokens: false);
            }
            else ids = tokenizer.Encode(user, addSpecialTokens: true);
            // Reuse the KV cache for the part of the conversation already fed.
            var common = 0;
            while (common < history.Count && common < ids.Length - 1 && history[common] == ids[common]) common++;
            common = session.RewindPoint(common);
            session.Rewind(common);
            var limits = new GenerationLimits(Math.Min(maxTokens, session.Context - ids.Length), model.EosTokenIds);
            if (limits.MaxTokens < 1) throw new ContextOverflowException(ids.Length + 1, session.Context);
            var clock = Stopwatch.StartNew();
            var result = generator.Generate(ids.AsSpan(common), sampling, limits, stops, piece =>
            {
                context.Out.Write(piece);
                context.Out.Flush();
            }, context.Cancellation);
            context.Out.WriteLine();
            history.Clear();
            history.AddRange(ids);
            history.AddRange(result.TokenIds.Take(session.Position - ids.Length));
            if (verbose)
                context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{ids.Length} prompt tokens ({ids.Length - common} new), {result.TokenIds.Length} generated, {result.TokenIds.Length / clock.Elapsed.TotalSeconds:F1} tokens/s, {result.Finish.ToString().ToLowerInvariant()}]"));
            if (useTemplate) messages.Add(Message("assistant", result.Text));
            return result.Text;
        }

        if (prompt != null)
        {
            Reply(prompt);
            return 0;
        }
        while (!context.Cancellation.IsCancellationRequested)
        {
            context.Error.Write(">>> ");
            var line = context.In.ReadLine();
            if (line == null || line.Trim() == "/bye") break;
            if (line.Trim() == "/clear")
            {
                while (messages.Count > (system != null ? 1 : 0)) messages.RemoveAt(messages.Count - 1);
                continue;
            }
            if (line.Trim().Length > 0) Reply(line);
        }
        return 0;
    }

    private static JsonNode Message(string role, string content) => new JsonObject { ["role"] = role, ["content"] = content };

    private static PromptImage ReadImage(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"--image: no such file {path}");
        try
        {
            return PromptImage.Decode(File.ReadAllBytes(path));
        }
        catch (Core.Formats.Images.InvalidImageException e)
        {
            throw new Core.MoxingException($"{path}: {e.Message}");
        }
    }
}
