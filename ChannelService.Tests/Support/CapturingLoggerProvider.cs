using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ChannelService.Tests.Support;

/// <summary>Records every log line with its scope values, so tests can check what reaches the logs (and what must not).</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<CapturedLog> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose()
    {
    }

    /// <summary>Everything written, messages, exceptions and scope values, as one text to search for secrets.</summary>
    public string AllText() => string.Join("\n", Lines.Select(l => $"{l.Category} {l.Message} {l.Exception} {string.Join(" ", l.Scope.Select(kv => $"{kv.Key}={kv.Value}"))}"));

    internal sealed record CapturedLog(string Category, LogLevel Level, string Message, string? Exception, IReadOnlyList<KeyValuePair<string, object?>> Scope);

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new List<KeyValuePair<string, object?>>();
            owner.scopes.ForEachScope(
                (s, list) =>
                {
                    if (s is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        list.AddRange(pairs);
                    }
                    else if (s is not null)
                    {
                        list.Add(new("Scope", s.ToString()));
                    }
                },
                scope);
            owner.Lines.Enqueue(new CapturedLog(category, logLevel, formatter(state, exception), exception?.ToString(), scope));
        }
    }
}
