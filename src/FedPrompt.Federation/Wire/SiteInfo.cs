using FedPrompt.Formats.Artefacts;


namespace FedPrompt.Federation.Wire;

/// <summary>What a site reports when it has set up for a job (ResultHeader.site_info_json).</summary>
public sealed record SiteInfo(BaseModelIdentity BaseModel, IReadOnlyList<string> Answers, int TrainExamples, int ValidationExamples);
