using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace ChannelService.Configuration;

/// <summary>
/// Binds a settings class from its configuration section, turning a value of the wrong type (<c>Channel__Sandbox=maybe</c>,
/// <c>Channel__SourceConnectTimeout=abc</c>) into an <see cref="OptionsValidationException"/> whose failures name the
/// setting and what it wants, one per setting. The configuration binder would throw an
/// <see cref="InvalidOperationException"/> for the first such value only, which the start-up reports as a crash with a
/// stack trace; an operator's typo is a setting to correct, reported like every other invalid setting.
/// </summary>
internal static class SettingBinding
{
    /// <summary>Binds <paramref name="options"/> from <paramref name="section"/>, or throws with every wrongly typed value.</summary>
    public static void Bind<T>(IConfigurationSection section, T options)
        where T : class
    {
        var failures = TypeFailures(section, typeof(T));
        if (failures.Count == 0)
        {
            try
            {
                section.Bind(options);
                return;
            }
            catch (InvalidOperationException ex)
            {
                // A value the check above let through but the binder refused: its own message names the key and type.
                failures.Add($"{section.Path}: {ex.Message}");
            }
        }

        throw new OptionsValidationException(Options.DefaultName, typeof(T), failures);
    }

    /// <summary>A new <typeparamref name="T"/> bound from <paramref name="section"/> (see <see cref="Bind{T}"/>).</summary>
    public static T Get<T>(IConfigurationSection section)
        where T : class, new()
    {
        var options = new T();
        Bind(section, options);
        return options;
    }

    /// <summary>Registers <typeparamref name="T"/> bound through <see cref="Bind{T}"/>, reloading with its section.</summary>
    public static OptionsBuilder<T> BindChecked<T>(this OptionsBuilder<T> builder, IConfigurationSection section)
        where T : class
    {
        builder.Services.AddSingleton<IOptionsChangeTokenSource<T>>(new ConfigurationChangeTokenSource<T>(builder.Name, section));
        return builder.Configure(options => Bind(section, options));
    }

    /// <summary>One line per configured value of <paramref name="type"/>'s scalar properties that does not convert.</summary>
    internal static List<string> TypeFailures(IConfigurationSection section, Type type)
    {
        var failures = new List<string>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var child = section.GetSection(property.Name);
            if (ScalarType(property.PropertyType) is { } scalar)
            {
                Check(child, scalar, Nullable.GetUnderlyingType(property.PropertyType) is not null, property.Name, failures);
            }
            else if (ElementType(property.PropertyType) is { } element && ScalarType(element) is { } elementScalar)
            {
                foreach (var item in child.GetChildren())
                {
                    Check(item, elementScalar, Nullable.GetUnderlyingType(element) is not null, $"{property.Name}:{item.Key}", failures);
                }
            }
        }

        void Check(IConfigurationSection value, Type scalar, bool nullable, string name, List<string> into)
        {
            // The binder reads an empty value as null for a nullable setting, and refuses it for any other non-text one.
            if (value.Value is null || (value.Value.Length == 0 && nullable) || (value.Value.Length > 0 && Converts(value.Value, scalar)))
            {
                return;
            }

            var given = value.Value.Length == 0 ? "an empty value" : $"'{Shorten(value.Value)}'";
            into.Add(FormattableString.Invariant($"{section.Path}:{name}: {given} is not {Expected(scalar)}."));
        }

        return failures;
    }

    /// <summary>The types settings use besides text; null for text and for complex values (their children are checked by name).</summary>
    private static Type? ScalarType(Type type)
    {
        var bare = Nullable.GetUnderlyingType(type) ?? type;
        return bare == typeof(string) || bare == typeof(object) ? null
            : bare.IsPrimitive || bare.IsEnum || bare == typeof(TimeSpan) || bare == typeof(decimal) || bare == typeof(Uri)
              || bare == typeof(DateTimeOffset) || bare == typeof(DateTime) || bare == typeof(Guid) ? bare
            : null;
    }

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericArguments() is [var element] && typeof(IEnumerable<>).MakeGenericType(element).IsAssignableFrom(type) ? element
        : null;

    /// <summary>The converter the configuration binder itself uses, with the invariant culture.</summary>
    private static bool Converts(string value, Type type)
    {
        try
        {
            _ = TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException or OverflowException or UriFormatException)
        {
            return false;
        }
    }

    private static string Expected(Type type) =>
        type == typeof(bool) ? "true or false"
        : type == typeof(TimeSpan) ? "a duration; write [d.]hh:mm:ss, e.g. 00:00:30 for 30 seconds or 1.00:00:00 for a day"
        : type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) || type == typeof(uint) || type == typeof(ulong)
            ? "a whole number; write digits, e.g. 200"
        : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? "a number; write e.g. 0.5"
        : type.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(type))
        : type == typeof(Uri) ? "a URL, e.g. https://example.com/"
        : "a " + type.Name;

    /// <summary>Keeps a pasted paragraph from filling the line; the value is never a secret (secrets are text settings).</summary>
    private static string Shorten(string value)
    {
        var oneLine = string.Join(' ', value.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        return oneLine.Length <= 60 ? oneLine : string.Concat(oneLine.AsSpan(0, 57), "...");
    }
}
