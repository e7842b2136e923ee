using System.Net;
using System.Net.Sockets;

namespace ChannelService.Sources.Http;

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/> of every source connection: resolves the name itself,
/// checks every address against <see cref="SourceNetworkPolicy"/> and connects only to a checked address.
/// Because the check happens here, after DNS and for each new connection, a name that re-resolves to an
/// internal address later (DNS rebinding) or a redirect to another host is judged on what is actually dialled.
/// </summary>
internal sealed class GuardedConnector(
    SourceNetworkPolicy policy,
    Func<string, CancellationToken, Task<IPAddress[]>> resolve,
    Func<IPEndPoint, CancellationToken, ValueTask<Stream>> connect,
    TimeSpan connectTimeout,
    TimeProvider timeProvider)
{
    public static Task<IPAddress[]> ResolveWithDns(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);

    public static async ValueTask<Stream> ConnectSocketAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(connectTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var addresses = SourceUrl.LiteralAddresses(context.DnsEndPoint.Host) ?? await ResolveAsync(context.DnsEndPoint.Host, linked.Token);
            policy.EnsureAllowed(addresses);

            SocketException? last = null;
            foreach (var address in addresses.Select(SourceNetworkPolicy.UnwrapMapped).Distinct())
            {
                try
                {
                    return await connect(new IPEndPoint(address, context.DnsEndPoint.Port), linked.Token);
                }
                catch (SocketException e)
                {
                    last = e;
                }
            }

            throw new SourceException(
                SourceErrorKind.Unreachable,
                last?.SocketErrorCode == SocketError.ConnectionRefused
                    ? "The server refused the connection; check the address and port."
                    : "The server could not be reached; check the address.",
                last);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new SourceException(SourceErrorKind.Timeout, $"The server could not be reached within {SourceException.FormatDuration(connectTimeout)}.", e);
        }
    }

    private async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = await resolve(host, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new SourceException(SourceErrorKind.Unreachable, "The server name could not be found (DNS); check the address.", e);
        }

        if (addresses.Length == 0)
        {
            throw new SourceException(SourceErrorKind.Unreachable, "The server name could not be found (DNS); check the address.");
        }

        return addresses;
    }
}
