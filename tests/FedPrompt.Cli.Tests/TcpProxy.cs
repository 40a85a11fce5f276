using System.Net;
using System.Net.Sockets;

namespace FedPrompt.Cli.Tests;

/// <summary>Forwards TCP connections from a local port to a target; <see cref="Cut"/> drops every
/// connection and refuses new ones, like a network outage, until <see cref="Restore"/>.</summary>
public sealed class TcpProxy : IDisposable
{
    readonly TcpListener _listener;
    readonly int _target;
    readonly CancellationTokenSource _stop = new();
    readonly List<TcpClient> _open = [];
    readonly Lock _gate = new();
    volatile bool _cut;

    public TcpProxy(int port, int target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        _ = AcceptLoop();
    }

    public void Cut()
    {
        _cut = true;
        lock (_gate)
        {
            foreach (var client in _open) client.Close();
            _open.Clear();
        }
    }

    public void Restore() => _cut = false;

    async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            if (_cut)
            {
                inbound.Close();
                continue;
            }
            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(IPAddress.Loopback, _target);
            }
            catch (SocketException)
            {
                inbound.Close();
                continue;
            }
            lock (_gate) _open.AddRange([inbound, outbound]);
            _ = Pump(inbound, outbound);
            _ = Pump(outbound, inbound);
        }
    }

    static async Task Pump(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream());
        }
        catch (Exception)
        {
        }
        from.Close();
        to.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        Cut();
    }
}
