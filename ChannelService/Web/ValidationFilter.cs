using FluentValidation;
using FluentValidation.Results;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace ChannelService.Web;

/// <summary>A controller that answers an invalid request in its own way (the admin UI renders a page, not JSON).</summary>
internal interface IAnswersInvalidRequests
{
    IActionResult Invalid(ValidationResult result);
}

/// <summary>
/// The one place a bound request model is validated (style.md §4): every action argument with a FluentValidation
/// validator registered for its type is checked before the action runs. An invalid request gets the controller's
/// <see cref="IAnswersInvalidRequests"/> answer, or a JSON 400 naming the first problem. Endpoints that must check
/// something before they may even parse the body (the inbox's signature, the event batch's size) validate the model
/// they parsed with the same injected validator instead. MVC's own model validation stays unused.
/// </summary>
internal sealed class ValidationFilter : IAsyncActionFilter
{
    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        foreach (var argument in context.ActionArguments.Values)
        {
            if (argument is null
                || context.HttpContext.RequestServices.GetService(typeof(IValidator<>).MakeGenericType(argument.GetType())) is not IValidator validator)
            {
                continue;
            }

            var result = await validator.ValidateAsync(new ValidationContext<object>(argument), context.HttpContext.RequestAborted);
            if (!result.IsValid)
            {
                context.Result = context.Controller is IAnswersInvalidRequests answers
                    ? answers.Invalid(result)
                    : new BadRequestObjectResult(new ErrorResponse(result.Errors[0].ErrorMessage));
                return;
            }
        }

        await next();
    }
}
