namespace ChannelService.Tests.Support;

/// <summary>
/// Before the service's first PUT goes out, someone else changes the object (<paramref name="edit"/>): the PUT's
/// If-Match then fails with 412, as when another client saves between the service's read and its write.
/// </summary>
internal sealed class EditBeforeFirstPutHandler(Func<Task> edit) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
{
    private int edited;
    private int puts;

    /// <summary>
    /// PUTs the server answered. Counted once answered: a PUT sent on a connection the server had already closed
    /// never reached it, and the client sends it once more (a busy machine makes that happen now and then).
    /// </summary>
    public int Puts => Volatile.Read(ref puts);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Put)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        if (Interlocked.Exchange(ref edited, 1) == 0)
        {
            await edit();
        }

        var response = await base.SendAsync(request, cancellationToken);
        Interlocked.Increment(ref puts);
        return response;
    }
}
