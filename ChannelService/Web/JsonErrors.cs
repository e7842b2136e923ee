using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace ChannelService.Web;

/// <summary>
/// Errors are JSON with a clear message, never an HTML page or a stack trace: Zendesk shows or logs what we
/// answer, and a stack trace would leak internals.
/// </summary>
public static partial class JsonErrors
{
    public static IApplicationBuilder UseJsonErrors(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(errorApp => errorApp.Run(async context =>
        {
            var feature = context.Features.Get<IExceptionHandlerFeature>();
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ChannelService.Errors");
            if (feature?.Error is { } error)
            {
                // Type and message only: exception messages of our own code never carry secrets, and the
                // request body (metadata, state) is never logged.
                LogUnhandled(logger, error, context.Request.Path);
            }

            context.Response.StatusCode = feature?.Error is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
            await WriteAsync(context, context.Response.StatusCode == 500
                ? new ErrorResponse("The service failed to handle the request.", $"trace id {context.TraceIdentifier}")
                : new ErrorResponse("The request could not be read."));
        }));

        // Bodiless errors (404 for unknown routes, 405, 415) get a JSON body too.
        app.UseStatusCodePages(async status =>
        {
            // A HEAD request gets the status without a body (RFC 9110 §9.3.2), like the GET it stands for.
            if (HttpMethods.IsHead(status.HttpContext.Request.Method))
            {
                status.HttpContext.Response.ContentType = "application/json; charset=utf-8";
                return;
            }

            var code = status.HttpContext.Response.StatusCode;
            var message = code switch
            {
                404 => "Not found.",
                405 => "Method not allowed for this endpoint.",
                415 => "Unsupported content type.",
                _ => $"HTTP {code}.",
            };
            await WriteAsync(status.HttpContext, new ErrorResponse(message));
        });
        return app;
    }

    /// <summary>Registers <see cref="FormLimitHandler"/>, which <see cref="UseJsonErrors"/>'s exception handler consults first.</summary>
    public static IServiceCollection AddJsonErrors(this IServiceCollection services) => services.AddExceptionHandler<FormLimitHandler>();

    public static Task WriteAsync(HttpContext context, ErrorResponse error)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(error, JsonDefaults.Options));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error for {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string path);

    /// <summary>
    /// A form that broke the reader's limits (more than 1024 fields, a value over 4 MB), wherever it was read first
    /// (the metadata scheme, the admin UI's locale, a form model): a client error answered as a JSON 400, not logged
    /// as a failure of ours.
    /// </summary>
    private sealed class FormLimitHandler : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not InvalidDataException)
            {
                return false;
            }

            httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
            await WriteAsync(httpContext, new ErrorResponse("The form is too large or malformed."));
            return true;
        }
    }
}
