using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.ModelBinding.Validation;

namespace ChannelService.Web;

/// <summary>
/// A request model read from the posted form as a whole. Zendesk's forms do not fit MVC's binding by name: repeated
/// <c>file_urls[]</c> keys, fields that must be checked for repeats, "on" checkboxes. The model reads them once
/// from the form; its validator says what is wrong.
/// </summary>
internal interface IFormModel<TSelf>
    where TSelf : IFormModel<TSelf>
{
    /// <summary>The model of this form; <paramref name="form"/> is null when the request is not a form post.</summary>
    static abstract TSelf FromForm(IFormCollection? form);
}

/// <summary>Binds every <see cref="IFormModel{TSelf}"/> parameter with <see cref="IFormModel{TSelf}.FromForm"/>.</summary>
internal sealed class FormModelBinderProvider : IModelBinderProvider
{
    public IModelBinder? GetBinder(ModelBinderProviderContext context)
    {
        var type = context.Metadata.ModelType;
        return type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IFormModel<>) && i.GetGenericArguments()[0] == type)
            ? (IModelBinder)Activator.CreateInstance(typeof(FormModelBinder<>).MakeGenericType(type))!
            : null;
    }

    private sealed class FormModelBinder<T> : IModelBinder
        where T : IFormModel<T>
    {
        public async Task BindModelAsync(ModelBindingContext bindingContext)
        {
            var request = bindingContext.HttpContext.Request;
            var form = request.HasFormContentType ? await request.ReadFormAsync(bindingContext.HttpContext.RequestAborted) : null;
            var model = T.FromForm(form);

            // FluentValidation is the one validation system (ValidationFilter): MVC's own stays off for the model.
            bindingContext.ValidationState[model] = new ValidationStateEntry { SuppressValidation = true };
            bindingContext.Result = ModelBindingResult.Success(model);
        }
    }
}
