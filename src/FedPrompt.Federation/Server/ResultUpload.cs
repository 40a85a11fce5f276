using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Wire;

namespace FedPrompt.Federation.Server;

/// <summary>
/// A site's result arriving: the header first, then payload chunks into a spool file. A payload that
/// is too large, too long, too short or fails its checksum is refused as soon as that shows, and
/// the site's task counts as failed.
/// </summary>
public sealed class ResultUpload : IDisposable
{
    readonly FederationServer _server;
    readonly string _site;
    readonly SiteResult _header;
    readonly PayloadReceiver? _receiver;
    string? _problem;

    internal ResultUpload(FederationServer server, string site, SiteResult header, PayloadReceiver? receiver, string? problem)
    {
        _server = server;
        _site = site;
        _header = header;
        _receiver = receiver;
        _problem = problem;
    }

    public void Append(ReadOnlySpan<byte> chunk)
    {
        if (_problem is not null) return;
        if (_receiver is null)
        {
            _problem = "payload chunks arrived for a result that announced no payload";
            return;
        }
        try
        {
            _receiver.Append(chunk);
        }
        catch (PayloadException e)
        {
            _problem = e.Message;
        }
    }

    public ResultVerdict Complete()
    {
        if (_problem is not null) return _server.RejectUpload(_site, _header, _problem);
        Stream? payload = null;
        if (_receiver is not null)
        {
            try
            {
                payload = _receiver.Complete();
            }
            catch (PayloadException e)
            {
                return _server.RejectUpload(_site, _header, e.Message);
            }
        }
        return _server.AcceptResult(_site, _header, payload);
    }

    public void Dispose() => _receiver?.Dispose();
}
