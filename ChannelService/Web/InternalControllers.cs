using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Controllers;

namespace ChannelService.Web;

/// <summary>
/// Lets MVC use <c>internal</c> controllers, so controllers can take the service's internal types in their
/// constructors and the assembly keeps its "internal by default" rule (MVC's own provider sees public types only).
/// </summary>
internal sealed class InternalControllerFeatureProvider : ControllerFeatureProvider
{
    protected override bool IsController(TypeInfo typeInfo) =>
        typeInfo is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false }
        && !typeInfo.IsPublic && !typeInfo.IsNestedPublic
        && typeof(ControllerBase).IsAssignableFrom(typeInfo)
        && typeInfo.Name.EndsWith("Controller", StringComparison.Ordinal);
}
