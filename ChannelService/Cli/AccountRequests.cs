using ChannelService.Accounts;

namespace ChannelService.Cli;

/// <summary>New accounts from the command line (<c>metadata new</c>, <c>preview</c>), checked by the same validator as the admin UI.</summary>
internal static class AccountRequests
{
    /// <summary>
    /// Runs <see cref="NewAccountRequestValidator"/> (the request's only rules) and builds the account; every failed
    /// rule goes into one usage error line, each message naming its field.
    /// </summary>
    public static AccountMetadata Create(NewAccountRequest request)
    {
        var validation = new NewAccountRequestValidator().Validate(request);
        if (!validation.IsValid)
        {
            throw new CliUsageException(CommandLine.OneLine(string.Join(" ", validation.Errors.Select(e => e.ErrorMessage))));
        }

        return request.Create(TimeProvider.System);
    }
}
