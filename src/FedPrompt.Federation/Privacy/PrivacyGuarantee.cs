namespace FedPrompt.Federation.Privacy;

/// <summary>(ε, δ)-differential privacy, and the Rényi order whose bound gave the smallest ε (NaN when
/// ε is infinite). An order at either end of the grid means a wider grid might give a smaller ε.</summary>
public readonly record struct PrivacyGuarantee(double Epsilon, double Delta, double BestOrder);
