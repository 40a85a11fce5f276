using System.Security.Cryptography;
using FedPrompt.Federation.Models;
using FedPrompt.Federation.SecureAggregation;

namespace FedPrompt.Federation.Tests.SecureAggregation;

/// <summary>A site masks only under a list it belongs to with its own key, and only once.</summary>
public class SessionChecksTests : IDisposable
{
    readonly List<SecureAggregationSession> _sessions =
        new[] { "A", "B", "C" }.Select(site => new SecureAggregationSession(site, "job", 2)).ToList();
    readonly List<SitePublicKey> _keys;
    readonly ModelState _difference = Updates.Random(new Random(71), 0.05f);

    public SessionChecksTests() => _keys = _sessions.Select(s => new SitePublicKey(s.Site, s.PublicKey)).ToList();

    public void Dispose() => _sessions.ForEach(s => s.Dispose());

    [Fact]
    public void ASessionMasksOnlyOnce()
    {
        _sessions[0].Mask(_difference, 5, _keys);

        var error = Assert.Throws<InvalidOperationException>(() => _sessions[0].Mask(_difference, 5, _keys));
        Assert.Contains("new session", error.Message);
    }

    [Fact]
    public void RefusesAListWithoutItself()
    {
        var error = Assert.Throws<ArgumentException>(() => _sessions[0].Mask(_difference, 5, _keys.Skip(1).ToList()));
        Assert.Contains("A is not on the participant list", error.Message);
    }

    [Fact]
    public void RefusesAListWithAnotherKeyForItself()
    {
        using var stranger = new SecureAggregationSession("A", "job", 2);
        var keys = _keys.Select(k => k.Site == "A" ? new SitePublicKey("A", stranger.PublicKey) : k).ToList();

        var error = Assert.Throws<ArgumentException>(() => _sessions[0].Mask(_difference, 5, keys));
        Assert.Contains("another key for A", error.Message);
    }

    [Fact]
    public void RefusesFewerThanTwoParticipantsOrANameTwice()
    {
        Assert.Contains("at least 2", Assert.Throws<ArgumentException>(() => _sessions[0].Mask(_difference, 5, _keys.Take(1).ToList())).Message);
        Assert.Contains("B more than once", Assert.Throws<ArgumentException>(() => _sessions[0].Mask(_difference, 5, [.. _keys, _keys[1]])).Message);
    }

    [Fact]
    public void RefusesAWeightBelowOne() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _sessions[0].Mask(_difference, 0, _keys));

    [Fact]
    public void AnnouncedKeysMustBeP256PublicKeys()
    {
        var truncated = _sessions[1].PublicKey[..^1];
        using var p384 = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        var offCurve = (byte[])_sessions[1].PublicKey.Clone();
        offCurve[^1] ^= 1;

        Assert.Contains("B's public key", Assert.Throws<ArgumentException>(() => new SitePublicKey("B", truncated)).Message);
        Assert.Contains("B's public key", Assert.Throws<ArgumentException>(() => new SitePublicKey("B", [.. _sessions[1].PublicKey, 0])).Message);
        Assert.Contains("P-256", Assert.Throws<ArgumentException>(() => new SitePublicKey("B", p384.ExportSubjectPublicKeyInfo())).Message);
        Assert.Contains("B's public key", Assert.Throws<ArgumentException>(() => new SitePublicKey("B", offCurve)).Message);
    }
}
