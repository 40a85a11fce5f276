namespace FedPrompt.Federation.Privacy;

/// <summary>How an (α, ρ)-RDP bound becomes an ε for a given δ; either is minimised over the orders.</summary>
public enum RdpConversion
{
    /// <summary>ε = ρ − (log δ + log α) / (α − 1) + log((α − 1) / α): Balle, Barthe, Gaboardi, Hsu,
    /// Sato 2020, "Hypothesis testing interpretations and Rényi differential privacy", Thm. 21 of
    /// arXiv:1905.09982; what Opacus reports. Never larger than <see cref="Classical"/> (both added
    /// terms are negative for α &gt; 1); FedPrompt's default.</summary>
    Improved,

    /// <summary>ε = ρ + log(1/δ) / (α − 1): Mironov 2017, "Rényi Differential Privacy", Prop. 3; what
    /// TF Privacy reported when its MNIST figures were published, so kept to compare with them.</summary>
    Classical,
}
