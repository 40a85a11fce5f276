using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedPrompt.Formats;

namespace FedPrompt.Federation.Provisioning;

/// <summary>Certificates and ECDSA private keys as PEM files, the form OpenSSL and most tools read.</summary>
static class PemFiles
{
    public static void WriteCertificate(string path, X509Certificate2 certificate) =>
        AtomicFile.WriteAllText(path, certificate.ExportCertificatePem() + "\n");

    /// <summary>Writes the certificate's private key unencrypted, readable by the owner only.</summary>
    public static void WritePrivateKey(string path, X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey()
            ?? throw new ArgumentException($"the certificate for {certificate.Subject} has no ECDSA private key", nameof(certificate));
        AtomicFile.WriteAllText(path, key.ExportPkcs8PrivateKeyPem() + "\n", ownerOnly: true);
    }

    public static X509Certificate2 ReadCertificate(string path)
    {
        try
        {
            return X509Certificate2.CreateFromPem(File.ReadAllText(path));
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"{path}: not a PEM certificate ({e.Message})", e);
        }
    }

    /// <summary>The certificate in <paramref name="certificatePath"/> joined with the key in
    /// <paramref name="keyPath"/>, which must be its own.</summary>
    public static X509Certificate2 ReadCertificateWithKey(string certificatePath, string keyPath)
    {
        using var certificate = ReadCertificate(certificatePath);
        using var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(keyPath));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new InvalidDataException($"{keyPath}: not a PEM ECDSA private key ({e.Message})", e);
        }
        try
        {
            return certificate.CopyWithPrivateKey(key);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{keyPath}: not the private key of the certificate in {certificatePath}", e);
        }
    }
}
