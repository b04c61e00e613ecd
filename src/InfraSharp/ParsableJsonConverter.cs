using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace InfraSharp;

/// <summary>
/// JSON for a value written as one string (<see cref="object.ToString"/>) and read back with its
/// <see cref="IParsable{TSelf}.Parse(string, IFormatProvider?)"/>: a typed argument keeps the exact spelling a
/// manifest has always had for it, so that manifests written before the type existed read back equal.
/// </summary>
internal sealed class ParsableJsonConverter<T> : JsonConverter<T>
    where T : IParsable<T>
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException($"expected a string for {typeof(T).Name}, got {reader.TokenType}");
        try
        {
            return T.Parse(reader.GetString()!, CultureInfo.InvariantCulture);
        }
        catch (ArgumentException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
