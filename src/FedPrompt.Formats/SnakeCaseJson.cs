using System.Text.Json;

namespace FedPrompt.Formats;

/// <summary>How fedprompt writes the JSON it reads back itself (encoder and checkpoint headers, a local
/// run's metrics lines): snake_case keys, one line, lenient on reading.</summary>
public static class SnakeCaseJson
{
    public static readonly JsonSerializerOptions Compact = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
