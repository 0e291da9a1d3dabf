using Microsoft.AspNetCore.Http;
using Moxing.Server.Generation;
using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Server.Models;

namespace Moxing.Server.OpenAi.Responses;

/// <summary>
/// <c>POST /v1/responses</c>: OpenAI's Responses API over the chat pieces — input items through the model's chat template, the
/// reply split into reasoning, message and function_call items, whole or streamed as typed events. Nothing is stored.
/// </summary>
public sealed class ResponsesEndpoint(ModelManager models)
{
    /// <summary>Handles one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var cancellation = context.RequestAborted;
        var request = ResponseRequest.Read(await JsonRequest.ReadAsync(context.Request, cancellation), models.DefaultsOf);
        using var lease = await models.AcquireAsync(request.Model, null, cancellation);
        var model = lease.Resident;
        var parameters = request.Parameters;
        var calls = ToolUse.CallsFor(request.Tools, model, ref parameters, "text.format");
        OpenAiParameters.CheckModel(parameters, model, "max_output_tokens");
        var ids = ChatPrompt.Encode(model, request.Messages, request.Tools?.TemplateTools, request.Variables, out var reasoning, request.Images);
        parameters = parameters with { Spans = request.Images.Spans };
        ReasoningEffort.RequireReasoning(request.Effort, reasoning, request.Model, "reasoning.effort");
        parameters = parameters.DecodingFor(reasoning, calls);
        var writer = new ResponseWriter(request, calls, reasoning?.Splitting(split: true, calls));
        var events = ChoiceRunner.RunAsync(model, ids, parameters, 1, MeteredRequest.Of(context), "input", cancellation);
        if (request.Stream) await writer.WriteStreamAsync(context, events);
        else await writer.WriteWholeAsync(context, events);
    }
}
